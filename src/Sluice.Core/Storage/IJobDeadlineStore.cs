namespace Sluice.Core.Storage;

/// <summary>
/// A shared store that can list the deadlines of queued jobs, so the running gateways take over the deadline timers
/// of a gateway that stopped (each gateway times the jobs it accepted; the timers live in memory).
/// </summary>
public interface IJobDeadlineStore
{
    /// <summary>Every job still queued whose deadline falls before <paramref name="dueBefore"/>: ids and deadlines only, whatever the size of the inputs.</summary>
    ValueTask<IReadOnlyList<QueuedDeadline>> ListQueuedDeadlinesAsync(DateTimeOffset dueBefore, CancellationToken cancellationToken);
}
