using Sluice.Core.Events;
using Sluice.Core.Jobs;

namespace Sluice.Core.Tests.Events;

public sealed class JobEventLogTests
{
    [Fact]
    public async Task Append_AfterTheStreamCompleted_IsNeitherKeptNorReplayed()
    {
        // A cancel may store a running job's outcome without waiting for its step; the step's delta comes later.
        var log = new JobEventLog("job_1");
        var now = DateTimeOffset.UnixEpoch;
        log.Append(JobEventTypes.Started, "{}", now);
        log.Append(JobEventTypes.Cancelled, "{\"status\":\"cancelled\"}", now);
        log.Complete(0);

        log.Append(JobEventTypes.Delta, "{\"text\":\"late\",\"tokens\":1}", now);

        Assert.Equal([JobEventTypes.Started, JobEventTypes.Cancelled], log.Snapshot(0).Select(e => e.Type));
        Assert.Equal(3, log.NextId);
        using var replay = log.Subscribe(0, _ => { });
        var types = new List<string>();
        await foreach (var e in replay.Reader.ReadAllAsync())
        {
            types.Add(e.Type);
        }

        Assert.Equal([JobEventTypes.Started, JobEventTypes.Cancelled], types);
    }
}
