using System.Text.Json;

namespace Sluice.Server.Contracts;

/// <summary>A job as the API shows it.</summary>
public sealed record JobView
{
    public required string Id { get; init; }
    public string Object => "job";
    public required string Model { get; init; }
    public string? ModelVersion { get; init; }

    /// <summary>queued, running, succeeded, failed, cancelled, expired or dead_lettered.</summary>
    public required string Status { get; init; }

    /// <summary>high, normal or low.</summary>
    public required string Priority { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public DateTimeOffset? Deadline { get; init; }
    public int Attempts { get; init; }
    public int MaxAttempts { get; init; }

    /// <summary>Milliseconds between acceptance and the start of the last attempt.</summary>
    public double? QueuedMs { get; init; }

    /// <summary>Milliseconds the last attempt ran.</summary>
    public double? RunMs { get; init; }

    /// <summary>Number of jobs in the batch it ran in (0 for a cache hit).</summary>
    public int? BatchSize { get; init; }

    /// <summary>True when answered from the result cache.</summary>
    public bool Cached { get; init; }
    public JsonElement? Result { get; init; }
    /// <summary>The last error, in words for people (they may change between versions): programs read error_code.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// Why the job failed, a stable code for programs (the error's text may change): upstream_refused, circuit_open,
    /// upstream_unavailable, upstream_timeout, upstream_error, model_error, invalid_input, deadline_exceeded, cancelled,
    /// worker_lost or queue_rejected. Absent when it has not failed, or failed before codes were kept.
    /// </summary>
    public string? ErrorCode { get; init; }

    /// <summary>
    /// Milliseconds the failure asked to wait before trying again (an upstream's Retry-After, an open circuit's time to
    /// its next trial), counted from when it failed; absent when it asked for none.
    /// </summary>
    public long? RetryAfterMs { get; init; }
    public string? TraceParent { get; init; }
    public required JobLinks Links { get; init; }

    /// <summary>
    /// With keys configured, in the answer to a submit or to <c>GET /v1/jobs/{id}</c>: a read-only token that opens this
    /// job's event streams as <c>?stream_token=</c>, for clients that cannot send the key (a browser's EventSource).
    /// </summary>
    public string? StreamToken { get; init; }

    /// <summary>When <c>stream_token</c> stops opening the streams (a stream already open goes on).</summary>
    public DateTimeOffset? StreamTokenExpiresAt { get; init; }
}
