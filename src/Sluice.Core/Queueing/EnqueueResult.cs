namespace Sluice.Core.Queueing;

/// <summary>Outcome of <see cref="IJobQueue.EnqueueAsync"/>.</summary>
public enum EnqueueResult
{
    /// <summary>Accepted by the queue (durably, for a broker transport).</summary>
    Accepted,

    /// <summary>The model's queue is at its depth limit: reject with 429 and Retry-After.</summary>
    Full,

    /// <summary>The transport cannot take work right now (broker down): reject with 503.</summary>
    Unavailable,
}
