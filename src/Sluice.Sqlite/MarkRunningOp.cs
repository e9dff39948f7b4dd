using Microsoft.Data.Sqlite;

namespace Sluice.Sqlite;

/// <summary>Moves a non-terminal job to running for an attempt; false when it is already terminal.</summary>
internal sealed class MarkRunningOp(string id, int attempt, DateTimeOffset startedAt) : WriteOp<bool>
{
    public override void Execute(SqliteConnection conn, SqliteTransaction tx)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "UPDATE jobs SET status = 1, attempts = $a, started_at = $t, not_before = NULL WHERE id = $id AND status < 2";
        cmd.Parameters.AddWithValue("$a", attempt);
        cmd.Parameters.AddWithValue("$t", SqliteJobStore.ToMs(startedAt));
        cmd.Parameters.AddWithValue("$id", id);
        SetResult(cmd.ExecuteNonQuery() == 1);
    }
}
