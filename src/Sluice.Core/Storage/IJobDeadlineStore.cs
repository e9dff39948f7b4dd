namespace Sluice.Core.Storage;

/// <summary>
/// A shared store that can list the deadlines of unfinished jobs, so the running gateways take over the deadline
/// timers of a gateway that stopped (each gateway times the jobs it accepted; the timers live in memory), and
/// expire a running job whose worker died with no other worker to take it.
/// </summary>
public interface IJobDeadlineStore
{
    /// <summary>Every job still queued or running whose deadline falls before <paramref name="dueBefore"/>: ids and deadlines only, whatever the size of the inputs.</summary>
    ValueTask<IReadOnlyList<JobDeadline>> ListUnfinishedDeadlinesAsync(DateTimeOffset dueBefore, CancellationToken cancellationToken);
}
