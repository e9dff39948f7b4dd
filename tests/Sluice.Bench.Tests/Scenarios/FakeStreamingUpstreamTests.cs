using Sluice.Bench.Load;
using Sluice.Bench.Scenarios;
using Sluice.Bench.Targets;

namespace Sluice.Bench.Tests.Scenarios;

public sealed class FakeStreamingUpstreamTests
{
    [Fact]
    public async Task ChatStream_FixedGeneration_OneEventPerTokenAtThePace()
    {
        await using FakeStreamingUpstream upstream = await FakeStreamingUpstream.StartAsync(tokens: 5, TimeSpan.FromMilliseconds(20), CancellationToken.None);
        var spec = new TargetSpec { Kind = TargetKind.Chat, Url = upstream.BaseUri, Model = FakeStreamingUpstream.ModelName };
        await using ILoadTarget target = TargetFactory.Create(spec, TimeSpan.FromSeconds(10));

        StageResult result = await new LoadRunner(target, new LoadOptions { Concurrency = 2, Duration = TimeSpan.FromSeconds(60), MaxRequests = 6 }).RunAsync();

        Assert.Equal(6, result.Succeeded);
        Assert.Equal(6, result.TimeToFirstEvent!.Count);
        Assert.Equal(6 * 4, result.InterEvent!.Count);
        // The first token comes one interval after the role chunk, and so does each next one.
        Assert.True(result.TimeToFirstEvent.P50Ms >= 15, $"time to first token p50 {result.TimeToFirstEvent.P50Ms} ms");
        Assert.True(result.InterEvent.P50Ms >= 15, $"inter-token p50 {result.InterEvent.P50Ms} ms");
    }
}
