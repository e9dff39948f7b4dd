namespace Sluice.Core.Jobs;

/// <summary>The durable record of one job, as the store keeps it. Immutable: changes make a new record.</summary>
public sealed record JobRecord
{
    /// <summary>Opaque id, <c>job_</c> followed by a sortable base-32 string.</summary>
    public required string Id { get; init; }

    /// <summary>Model name the job runs on.</summary>
    public required string Model { get; init; }

    /// <summary>Model version at submit time.</summary>
    public string? ModelVersion { get; init; }

    /// <summary>The job's <c>input</c> as raw JSON text.</summary>
    public required string InputJson { get; init; }

    /// <summary>Priority lane.</summary>
    public JobPriority Priority { get; init; } = JobPriority.Normal;

    /// <summary>Id of the API key that owns the job (<c>anonymous</c> when keys are off); a key sees only its own jobs.</summary>
    public required string Owner { get; init; }

    /// <summary>Current status.</summary>
    public JobStatus Status { get; init; } = JobStatus.Queued;

    /// <summary>When the job was accepted.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Absolute deadline; a job that cannot start before it is expired, never run.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Attempts started so far.</summary>
    public int Attempts { get; init; }

    /// <summary>Attempts allowed before the job is dead-lettered.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>When the last attempt started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the job reached a terminal status.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Earliest time of the next attempt (retry backoff).</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>Result JSON text when succeeded.</summary>
    public string? ResultJson { get; init; }

    /// <summary>Last error message.</summary>
    public string? Error { get; init; }

    /// <summary>Why the last attempt failed, one of <see cref="JobErrorCodes"/>; null when none failed, or stored before codes were kept.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The wait the last failure asked for (an upstream's <c>Retry-After</c>, an open circuit's time to its next trial).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Size of the batch the successful attempt ran in.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Time spent queued before the last attempt started, in milliseconds.</summary>
    public double? QueuedMs { get; init; }

    /// <summary>Run time of the last attempt, in milliseconds.</summary>
    public double? RunMs { get; init; }

    /// <summary>W3C <c>traceparent</c> of the submitting request, propagated into logs and workers.</summary>
    public string? TraceParent { get; init; }

    /// <summary>Client's <c>Idempotency-Key</c>, scoped to the owner.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Hash of the request body, to refuse a reused idempotency key with a different body.</summary>
    public string? RequestHash { get; init; }

    /// <summary>Result-cache key when the request is deterministic.</summary>
    public string? CacheKey { get; init; }

    /// <summary>
    /// The job came through a fallback-capable route and may still move to its model's fallback (see
    /// <see cref="Queueing.QueuedJob.FallbackAllowed"/>). Journaled so that a job recovered after a crash keeps the
    /// permission; false again once the job has moved (a job moves at most once).
    /// </summary>
    public bool FallbackAllowed { get; init; }
}
