namespace Sluice.Core.Scheduling;

/// <summary>What happened to a submission.</summary>
public enum SubmitStatus
{
    /// <summary>Journaled and queued (202).</summary>
    Accepted,

    /// <summary>Same idempotency key and body as an earlier job: that job is returned.</summary>
    Replayed,

    /// <summary>Answered from the result cache without queueing (job stored already succeeded).</summary>
    CacheHit,

    /// <summary>No such model (404).</summary>
    UnknownModel,

    /// <summary>The model is loading, warming or failed (503).</summary>
    ModelUnavailable,

    /// <summary>The input failed the model's validation (400 with the field).</summary>
    InvalidInput,

    /// <summary>Idempotency key reused with a different body (422).</summary>
    IdempotencyMismatch,

    /// <summary>The model's queue is full (429 with Retry-After).</summary>
    QueueFull,

    /// <summary>The queue transport or the store is down (503).</summary>
    Unavailable,
}
