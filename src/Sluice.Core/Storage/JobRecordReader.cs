using System.Data.Common;
using Sluice.Core.Jobs;

namespace Sluice.Core.Storage;

/// <summary>
/// Maps a row of the <c>jobs</c> table to a <see cref="JobRecord"/>. Both relational stores (SQLite and
/// PostgreSQL) select the same 26 columns (<see cref="Columns"/>) in the same order, with times as Unix milliseconds.
/// </summary>
public static class JobRecordReader
{
    /// <summary>
    /// The columns <see cref="Read"/> maps, in its order. Selected by name, never <c>*</c>: a table whose columns stand
    /// in another order (created by hand, or by migrations that did not only append) would be misread by position.
    /// </summary>
    public const string Columns = "id, model, model_version, input, priority, owner, status, created_at, deadline, attempts, max_attempts, " +
        "started_at, completed_at, not_before, result, error, batch_size, queued_ms, run_ms, traceparent, idempotency_key, request_hash, cache_key, fallback_allowed, error_code, retry_after_ms";

    public static JobRecord Read(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        Model = r.GetString(1),
        ModelVersion = r.IsDBNull(2) ? null : r.GetString(2),
        InputJson = r.GetString(3),
        Priority = (JobPriority)r.GetInt32(4),
        Owner = r.GetString(5),
        Status = (JobStatus)r.GetInt32(6),
        CreatedAt = FromMs(r.GetInt64(7)),
        Deadline = r.IsDBNull(8) ? null : FromMs(r.GetInt64(8)),
        Attempts = r.GetInt32(9),
        MaxAttempts = r.GetInt32(10),
        StartedAt = r.IsDBNull(11) ? null : FromMs(r.GetInt64(11)),
        CompletedAt = r.IsDBNull(12) ? null : FromMs(r.GetInt64(12)),
        NotBefore = r.IsDBNull(13) ? null : FromMs(r.GetInt64(13)),
        ResultJson = r.IsDBNull(14) ? null : r.GetString(14),
        Error = r.IsDBNull(15) ? null : r.GetString(15),
        BatchSize = r.IsDBNull(16) ? null : r.GetInt32(16),
        QueuedMs = r.IsDBNull(17) ? null : r.GetDouble(17),
        RunMs = r.IsDBNull(18) ? null : r.GetDouble(18),
        TraceParent = r.IsDBNull(19) ? null : r.GetString(19),
        IdempotencyKey = r.IsDBNull(20) ? null : r.GetString(20),
        RequestHash = r.IsDBNull(21) ? null : r.GetString(21),
        CacheKey = r.IsDBNull(22) ? null : r.GetString(22),
        FallbackAllowed = r.GetBoolean(23),
        ErrorCode = r.IsDBNull(24) ? null : r.GetString(24),
        RetryAfter = r.IsDBNull(25) ? null : TimeSpan.FromMilliseconds(r.GetInt64(25)),
    };

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
