using Sluice.Core.Events;
using Sluice.Core.Jobs;
using Sluice.Testing;

namespace Sluice.Core.Tests.Events;

/// <summary>
/// Which events open a stream in the in-process hub. Time runs on a <see cref="ManualTimeProvider"/>: the sweep of a
/// finished stream is reached by advancing the clock past the retention, never by sleeping.
/// </summary>
public sealed class InMemoryJobEventHubTests
{
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void Append_StepEventAfterTheSettledStreamWasSwept_DroppedWithoutOpeningAStream()
    {
        using var hub = new InMemoryJobEventHub(_time);
        hub.Append("job_1", JobEventTypes.Queued, "{}");
        hub.Append("job_1", JobEventTypes.Started, "{\"attempt\":1}");
        hub.Append("job_1", JobEventTypes.Cancelled, "{\"status\":\"cancelled\"}");
        hub.Complete("job_1");
        _time.Advance(hub.Retention + TimeSpan.FromSeconds(1));
        Assert.False(hub.TrySubscribe("job_1", 0, out _));

        // The cancel did not wait for the step, which reports a minute later: it recreated an empty stream that
        // never ends, and a client arriving then waited on it instead of replaying the stored one.
        hub.Append("job_1", JobEventTypes.Progress, "{\"stage\":\"late\"}");

        Assert.False(hub.TrySubscribe("job_1", 0, out var stray), "a late event opened a stream: " + stray?.Reader.Count);
        Assert.Empty(hub.Snapshot("job_1", 0));
        Assert.Equal(1, hub.NextId("job_1"));
    }

    [Fact]
    public async Task Append_FirstEventsOfANewJob_OpenAStreamSubscribersFollow()
    {
        using var hub = new InMemoryJobEventHub(_time);

        var queued = hub.Append("job_2", JobEventTypes.Queued, "{}");
        Assert.True(hub.TrySubscribe("job_2", 0, out var subscription));
        using (subscription)
        {
            hub.Append("job_2", JobEventTypes.Started, "{\"attempt\":1}");
            hub.Append("job_2", JobEventTypes.Completed, "{\"status\":\"succeeded\"}");
            hub.Complete("job_2");

            var seen = new List<(long, string)>();
            await foreach (var e in subscription.Reader.ReadAllAsync())
            {
                seen.Add((e.Id, e.Type));
            }

            Assert.Equal(1, queued.Id);
            Assert.Equal([(1L, JobEventTypes.Queued), (2L, JobEventTypes.Started), (3L, JobEventTypes.Completed)], seen);
        }
    }

    [Fact]
    public void Append_AfterSeed_ContinuesTheSeededIds()
    {
        // A recovered or requeued job's stream is seeded before its queued event; its other events follow on.
        using var hub = new InMemoryJobEventHub(_time);
        hub.Seed("job_3", 41);

        Assert.Equal(42, hub.Append("job_3", JobEventTypes.Started, "{\"attempt\":1}").Id);
        Assert.Equal([JobEventTypes.Started], hub.Snapshot("job_3", 0).Select(e => e.Type));
    }

    [Fact]
    public async Task Seed_StreamWithASubscriber_EndsTheOldSubscriptionAndServesTheNewStream()
    {
        using var hub = new InMemoryJobEventHub(_time);
        hub.Append("job_4", JobEventTypes.Queued, "{}");
        hub.Append("job_4", JobEventTypes.Started, "{\"attempt\":1}");
        Assert.True(hub.TrySubscribe("job_4", 0, out var old));
        using (old)
        {
            // The stream starts afresh: the old one gets nothing more, so its follower is ended, not left waiting.
            hub.Seed("job_4", 5);
            hub.Append("job_4", JobEventTypes.Queued, "{\"requeued\":true}");

            var seen = new List<long>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await foreach (var e in old.Reader.ReadAllAsync(timeout.Token))
            {
                seen.Add(e.Id);
            }

            Assert.Equal([1L, 2L], seen);
            Assert.True(hub.TrySubscribe("job_4", 2, out var fresh));
            using (fresh)
            {
                Assert.True(fresh.Reader.TryRead(out var requeued));
                Assert.Equal((6L, JobEventTypes.Queued), (requeued.Id, requeued.Type));
            }
        }
    }
}
