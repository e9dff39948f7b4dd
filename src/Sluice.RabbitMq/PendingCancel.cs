using Sluice.Core.Storage;

namespace Sluice.RabbitMq;

/// <summary>A cancel a gateway keeps sending to the workers.</summary>
/// <param name="GiveUpAt">When to stop sending it.</param>
/// <param name="Settled">
/// The gateway settled the job in the store itself: the job has ended there, but a copy may still run on a worker
/// that never saw the cancel, so it is sent until <paramref name="GiveUpAt"/> rather than until the job ends.
/// </param>
/// <param name="ReleaseIdempotencyKey">The cancel also frees the job's Idempotency-Key (its client went away unanswered).</param>
/// <param name="Run">The run the cancel is for (a disconnect's), sent with it; null: whatever run is live.</param>
internal readonly record struct PendingCancel(DateTimeOffset GiveUpAt, bool Settled, bool ReleaseIdempotencyKey = false, JobRun? Run = null);
