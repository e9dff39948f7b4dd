using Sluice.Core.Queueing;

namespace Sluice.Core.Storage;

/// <summary>
/// A shared store that can count the jobs it has queued, by model and priority lane. A broker's ready count also
/// holds the messages of jobs settled while queued (a cancel, a deadline) until a worker takes and drops them; a
/// transport caps its depths with these counts, so such messages do not fill the queue's bound.
/// </summary>
public interface IJobQueuedCountStore
{
    /// <summary>Jobs in status <c>queued</c>, by model (models with none are left out). One grouped query, no inputs read.</summary>
    ValueTask<IReadOnlyDictionary<string, QueueDepth>> CountQueuedAsync(CancellationToken cancellationToken);
}
