using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Models;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Scheduling;

/// <summary>A failure of the continuous batcher's loop itself settles every job it had taken off the queue.</summary>
public sealed class ContinuousLoopFailureTests
{
    [Fact]
    public async Task Admit_SequenceStartThrowsAnUnforeseenError_JobInHandIsRetriedNotLost()
    {
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string> { ["Sluice:Retry:BaseDelay"] = "00:00:00.010" },
            configureServices: services => services.AddSingleton<IModelSource, StartThrowsOnceModel>());

        var (_, body) = await server.PostJobAsync($"{{\"model\":\"{StartThrowsOnceModel.Name}\",\"input\":{{\"n\":3}}}}");
        var id = body.GetProperty("id").GetString()!;

        // Taken off the queue when the loop failed: it was in no queue and read "queued" for ever. It is retried instead.
        var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal("1 2 3", job.GetProperty("result").GetProperty("text").GetString()!.Trim());
        Assert.Contains(await server.ReadEventsAsync(id), e => e.Event == "retrying");
    }
}
