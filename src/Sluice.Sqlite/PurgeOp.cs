using Microsoft.Data.Sqlite;

namespace Sluice.Sqlite;

/// <summary>Forgets idempotency keys past their retention and cache entries of the same age.</summary>
internal sealed class PurgeOp(DateTimeOffset olderThan) : WriteOp<bool>
{
    public override void Execute(SqliteConnection conn, SqliteTransaction tx)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "DELETE FROM idempotency WHERE created_at < $t; DELETE FROM result_cache WHERE created_at < $t;";
        cmd.Parameters.AddWithValue("$t", SqliteJobStore.ToMs(olderThan));
        cmd.ExecuteNonQuery();
        SetResult(true);
    }
}
