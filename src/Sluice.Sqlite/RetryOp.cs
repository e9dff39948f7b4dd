using Microsoft.Data.Sqlite;
using Sluice.Core.Storage;

namespace Sluice.Sqlite;

/// <summary>
/// Puts a failed attempt (or a run handed back at a stop, with no error) back to queued until the next attempt. The
/// failure's code and wait go with its error: a stop (no error) leaves all three as they were. With a run, only while
/// the job is still running it (see <c>IJobStore.ScheduleRetryAsync</c>).
/// </summary>
internal sealed class RetryOp(string id, int attempts, string? error, string? errorCode, TimeSpan? retryAfter, DateTimeOffset notBefore, JobRun? run) : WriteOp<bool>
{
    public override void Execute(SqliteConnection conn, SqliteTransaction tx)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"""
            UPDATE jobs SET status = 0, attempts = $a, error = COALESCE($e, error), error_code = CASE WHEN $e IS NULL THEN error_code ELSE $ec END,
                retry_after_ms = CASE WHEN $e IS NULL THEN retry_after_ms ELSE $ra END, not_before = $nb
            WHERE id = $id AND {JobCompletionSql.RunGuard(run, '$')}
            """;
        cmd.Parameters.AddWithValue("$a", attempts);
        cmd.Parameters.AddWithValue("$e", SqliteJobStore.Db(StoredText.WithoutNul(error)));
        cmd.Parameters.AddWithValue("$ec", SqliteJobStore.Db(errorCode));
        cmd.Parameters.AddWithValue("$ra", SqliteJobStore.Db(retryAfter));
        cmd.Parameters.AddWithValue("$nb", SqliteJobStore.ToMs(notBefore));
        cmd.Parameters.AddWithValue("$id", id);
        SqliteJobStore.AddRun(cmd, run);
        SetResult(cmd.ExecuteNonQuery() == 1);
    }
}
