using Microsoft.Data.Sqlite;

namespace Sluice.Sqlite;

/// <summary>
/// Deletes at most a batch of jobs that finished (succeeded, failed, cancelled, expired) before a time, with their
/// events: one write of the group commit, so the writer is held for one batch and not for every job past its retention.
/// </summary>
internal sealed class PurgeJobsOp(DateTimeOffset finishedBefore, int limit) : WriteOp<int>
{
    public override void Execute(SqliteConnection conn, SqliteTransaction tx)
    {
        var ids = new List<string>(Math.Min(limit, 1024));
        using (var jobs = conn.CreateCommand())
        {
            jobs.Transaction = tx;
            // The status range is the jobs_finished index's own condition, so the index serves the scan: queued (0),
            // running (1) and dead-lettered (6) jobs are never read, whatever their age.
            jobs.CommandText = """
                DELETE FROM jobs WHERE id IN (
                    SELECT id FROM jobs WHERE status BETWEEN 2 AND 5 AND completed_at < $t ORDER BY completed_at LIMIT $n)
                RETURNING id
                """;
            jobs.Parameters.AddWithValue("$t", SqliteJobStore.ToMs(finishedBefore));
            jobs.Parameters.AddWithValue("$n", limit);
            using var reader = jobs.ExecuteReader();
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
        }

        if (ids.Count > 0)
        {
            using var events = conn.CreateCommand();
            events.Transaction = tx;
            events.CommandText = "DELETE FROM events WHERE job_id = $id";
            var id = events.Parameters.Add("$id", SqliteType.Text);
            for (var i = 0; i < ids.Count; i++)
            {
                id.Value = ids[i];
                events.ExecuteNonQuery();
            }
        }

        SetResult(ids.Count);
    }
}
