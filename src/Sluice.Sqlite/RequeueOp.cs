using Microsoft.Data.Sqlite;
using Sluice.Core.Jobs;

namespace Sluice.Sqlite;

/// <summary>Returns a dead-lettered job to the queue with a fresh attempt budget and no deadline.</summary>
internal sealed class RequeueOp(string id, DateTimeOffset now) : WriteOp<JobRecord?>
{
    public override void Execute(SqliteConnection conn, SqliteTransaction tx)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            UPDATE jobs SET status = 0, attempts = 0, completed_at = NULL, not_before = NULL, deadline = NULL,
                result = NULL, created_at = created_at, started_at = NULL
            WHERE id = $id AND status = 6
            """;
        cmd.Parameters.AddWithValue("$id", id);
        if (cmd.ExecuteNonQuery() != 1)
        {
            SetResult(null);
            return;
        }

        using var del = conn.CreateCommand();
        del.Transaction = tx;
        del.CommandText = "DELETE FROM events WHERE job_id = $id";
        del.Parameters.AddWithValue("$id", id);
        del.ExecuteNonQuery();
        _ = now;
        SetResult(SqliteJobStore.ReadJob(conn, tx, id));
    }
}
