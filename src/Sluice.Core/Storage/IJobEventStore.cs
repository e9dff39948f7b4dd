using Sluice.Core.Jobs;

namespace Sluice.Core.Storage;

/// <summary>
/// A store that also keeps the events of running jobs (not only of finished ones), so a cross-process event hub
/// can persist each event before publishing it: a gateway restarted mid-stream, or a worker taking over a
/// redelivered job, continues from the store with no gap and no repeated id.
/// </summary>
public interface IJobEventStore
{
    /// <summary>
    /// Stores events; an event whose (job, id) is already stored is ignored. Refused, and returned, are events
    /// that would follow the job's stored terminal event, and events of an attempt (<see cref="JobEvent.Attempt"/>)
    /// older than the job's current one: neither a late event nor a superseded run can corrupt a stream. Refused
    /// as well are events of a job the store does not hold (deleted after its retention), so none is left without its job.
    /// </summary>
    ValueTask<IReadOnlyList<JobEvent>> AppendEventsAsync(IReadOnlyList<JobEvent> events, CancellationToken cancellationToken);

    /// <summary>The highest stored event id of a job, 0 when none.</summary>
    ValueTask<long> GetLastEventIdAsync(string jobId, CancellationToken cancellationToken);
}
