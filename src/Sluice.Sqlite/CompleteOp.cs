using Microsoft.Data.Sqlite;
using Sluice.Core.Storage;

namespace Sluice.Sqlite;

/// <summary>Writes a terminal outcome, its events and its cache entry once; a second completion changes nothing.</summary>
internal sealed class CompleteOp(JobCompletion c) : WriteOp<bool>
{
    public override void Execute(SqliteConnection conn, SqliteTransaction tx)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        var guard = JobCompletionSql.Guard(c, '$');
        cmd.CommandText = $"""
            UPDATE jobs SET status = $s, result = $r, error = COALESCE($e, error), batch_size = $bs, queued_ms = $q,
                run_ms = $rm, completed_at = $t, not_before = NULL, error_code = COALESCE($ec, error_code),
                retry_after_ms = CASE WHEN $ec IS NULL THEN retry_after_ms ELSE $ra END
            WHERE id = $id AND {guard}
            """;
        var p = cmd.Parameters;
        p.AddWithValue("$s", (int)c.Status);
        p.AddWithValue("$r", SqliteJobStore.Db(c.ResultJson));
        p.AddWithValue("$e", SqliteJobStore.Db(StoredText.WithoutNul(c.Error)));
        p.AddWithValue("$ec", SqliteJobStore.Db(c.ErrorCode));
        p.AddWithValue("$ra", SqliteJobStore.Db(c.RetryAfter));
        p.AddWithValue("$bs", SqliteJobStore.Db(c.BatchSize));
        p.AddWithValue("$q", SqliteJobStore.Db(c.QueuedMs));
        p.AddWithValue("$rm", SqliteJobStore.Db(c.RunMs));
        p.AddWithValue("$t", SqliteJobStore.ToMs(c.CompletedAt));
        p.AddWithValue("$id", c.JobId);
        if (c.OnlyIfRunningPastDeadline is { } cutoff)
        {
            p.AddWithValue("$cutoff", SqliteJobStore.ToMs(cutoff));
        }

        SqliteJobStore.AddRun(cmd, c.Run);

        if (cmd.ExecuteNonQuery() != 1)
        {
            SetResult(false);
            return;
        }

        var events = c.Events;
        if (c.EventsFollowStored && events.Count > 0)
        {
            using var max = conn.CreateCommand();
            max.Transaction = tx;
            max.CommandText = "SELECT COALESCE(MAX(id), 0) FROM events WHERE job_id = $id";
            max.Parameters.AddWithValue("$id", c.JobId);
            events = JobCompletion.NumberAfter(events, Convert.ToInt64(max.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }

        EventRows.Insert(conn, tx, events);

        if (c.ReleaseIdempotencyKey)
        {
            using var release = conn.CreateCommand();
            release.Transaction = tx;
            release.CommandText = "DELETE FROM idempotency WHERE owner = (SELECT owner FROM jobs WHERE id = $id) AND key = (SELECT idempotency_key FROM jobs WHERE id = $id) AND job_id = $id";
            release.Parameters.AddWithValue("$id", c.JobId);
            release.ExecuteNonQuery();
        }

        if (c.CacheKey is not null && c.ResultJson is not null)
        {
            using var cache = conn.CreateCommand();
            cache.Transaction = tx;
            cache.CommandText = "INSERT OR REPLACE INTO result_cache(key, result, created_at) VALUES ($k, $r, $t)";
            cache.Parameters.AddWithValue("$k", c.CacheKey);
            cache.Parameters.AddWithValue("$r", c.ResultJson);
            cache.Parameters.AddWithValue("$t", SqliteJobStore.ToMs(c.CompletedAt));
            cache.ExecuteNonQuery();
        }

        SetResult(true);
    }
}
