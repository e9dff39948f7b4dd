using Microsoft.Data.Sqlite;
using Sluice.Core.Jobs;

namespace Sluice.Sqlite;

/// <summary>Undoes a requeue the queue refused: the job is dead-lettered again, as it was, with its old event stream.</summary>
internal sealed class RestoreDeadLetterOp(JobRecord deadLetter, IReadOnlyList<JobEvent> events) : WriteOp<bool>
{
    public override void Execute(SqliteConnection conn, SqliteTransaction tx)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            UPDATE jobs SET status = 6, attempts = $a, completed_at = $c, started_at = $s, deadline = $d, not_before = NULL
            WHERE id = $id AND status = 0
            """;
        cmd.Parameters.AddWithValue("$a", deadLetter.Attempts);
        cmd.Parameters.AddWithValue("$c", SqliteJobStore.ToMs(deadLetter.CompletedAt));
        cmd.Parameters.AddWithValue("$s", SqliteJobStore.ToMs(deadLetter.StartedAt));
        cmd.Parameters.AddWithValue("$d", SqliteJobStore.ToMs(deadLetter.Deadline));
        cmd.Parameters.AddWithValue("$id", deadLetter.Id);
        if (cmd.ExecuteNonQuery() != 1)
        {
            SetResult(false);
            return;
        }

        using var del = conn.CreateCommand();
        del.Transaction = tx;
        del.CommandText = "DELETE FROM events WHERE job_id = $id";
        del.Parameters.AddWithValue("$id", deadLetter.Id);
        del.ExecuteNonQuery();

        EventRows.Insert(conn, tx, events);

        SetResult(true);
    }
}
