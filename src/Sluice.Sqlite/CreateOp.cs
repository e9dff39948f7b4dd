using Microsoft.Data.Sqlite;
using Sluice.Core.Jobs;
using Sluice.Core.Storage;

namespace Sluice.Sqlite;

/// <summary>Inserts a job, or returns the original one for a live idempotency key (atomic: single writer).</summary>
internal sealed class CreateOp(JobRecord job, TimeSpan retention) : WriteOp<CreateJobResult>
{
    public override void Execute(SqliteConnection conn, SqliteTransaction tx)
    {
        if (job.IdempotencyKey is not null)
        {
            using var find = conn.CreateCommand();
            find.Transaction = tx;
            find.CommandText = "SELECT job_id FROM idempotency WHERE owner = $owner AND key = $key AND created_at >= $since";
            find.Parameters.AddWithValue("$owner", job.Owner);
            find.Parameters.AddWithValue("$key", job.IdempotencyKey);
            find.Parameters.AddWithValue("$since", SqliteJobStore.ToMs(job.CreatedAt - retention));
            if (find.ExecuteScalar() is string existingId && SqliteJobStore.ReadJob(conn, tx, existingId) is { } existing)
            {
                SetResult(new CreateJobResult(existing, false));
                return;
            }

            using var upsert = conn.CreateCommand();
            upsert.Transaction = tx;
            upsert.CommandText = "INSERT OR REPLACE INTO idempotency(owner, key, job_id, created_at) VALUES ($owner, $key, $id, $at)";
            upsert.Parameters.AddWithValue("$owner", job.Owner);
            upsert.Parameters.AddWithValue("$key", job.IdempotencyKey);
            upsert.Parameters.AddWithValue("$id", job.Id);
            upsert.Parameters.AddWithValue("$at", SqliteJobStore.ToMs(job.CreatedAt));
            upsert.ExecuteNonQuery();
        }

        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO jobs (id, model, model_version, input, priority, owner, status, created_at, deadline, attempts,
                max_attempts, started_at, completed_at, not_before, result, error, batch_size, queued_ms, run_ms,
                traceparent, idempotency_key, request_hash, cache_key, fallback_allowed, error_code, retry_after_ms)
            VALUES ($id, $model, $mv, $input, $prio, $owner, $status, $created, $deadline, $attempts, $max, $started,
                $completed, $nb, $result, $error, $bs, $qms, $rms, $tp, $ik, $rh, $ck, $fa, $ec, $ra)
            """;
        var p = cmd.Parameters;
        p.AddWithValue("$id", job.Id);
        p.AddWithValue("$model", job.Model);
        p.AddWithValue("$mv", SqliteJobStore.Db(job.ModelVersion));
        p.AddWithValue("$input", job.InputJson);
        p.AddWithValue("$prio", (int)job.Priority);
        p.AddWithValue("$owner", job.Owner);
        p.AddWithValue("$status", (int)job.Status);
        p.AddWithValue("$created", SqliteJobStore.ToMs(job.CreatedAt));
        p.AddWithValue("$deadline", SqliteJobStore.ToMs(job.Deadline));
        p.AddWithValue("$attempts", job.Attempts);
        p.AddWithValue("$max", job.MaxAttempts);
        p.AddWithValue("$started", SqliteJobStore.ToMs(job.StartedAt));
        p.AddWithValue("$completed", SqliteJobStore.ToMs(job.CompletedAt));
        p.AddWithValue("$nb", SqliteJobStore.ToMs(job.NotBefore));
        p.AddWithValue("$result", SqliteJobStore.Db(job.ResultJson));
        p.AddWithValue("$error", SqliteJobStore.Db(StoredText.WithoutNul(job.Error)));
        p.AddWithValue("$bs", SqliteJobStore.Db(job.BatchSize));
        p.AddWithValue("$qms", SqliteJobStore.Db(job.QueuedMs));
        p.AddWithValue("$rms", SqliteJobStore.Db(job.RunMs));
        p.AddWithValue("$tp", SqliteJobStore.Db(job.TraceParent));
        p.AddWithValue("$ik", SqliteJobStore.Db(job.IdempotencyKey));
        p.AddWithValue("$rh", SqliteJobStore.Db(job.RequestHash));
        p.AddWithValue("$ck", SqliteJobStore.Db(job.CacheKey));
        p.AddWithValue("$fa", job.FallbackAllowed ? 1 : 0);
        p.AddWithValue("$ec", SqliteJobStore.Db(job.ErrorCode));
        p.AddWithValue("$ra", SqliteJobStore.Db(job.RetryAfter));
        cmd.ExecuteNonQuery();
        SetResult(new CreateJobResult(job, true));
    }
}
