using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Scheduling;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Scheduling;

public sealed class DeadlineTimerTests
{
    [Fact]
    public async Task Track_ManyJobsFinishLongBeforeTheirDeadline_NoDeadlineTimerOrLiveJobIsLeftBehind()
    {
        // A job's deadline timer is made when it is tracked; a job that ends first must not leave it armed (holding its
        // control block and input) until the deadline, up to a day later: millions of jobs a day would pile them up.
        var clock = new LongTimerCountingTimeProvider(TimeSpan.FromMinutes(30));
        await using var server = await TestServer.StartAsync(configureServices: s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)));
        var live = server.Services.GetRequiredService<LiveJobs>();
        var baselineTimers = clock.Undisposed;
        var baselineLive = live.Count;

        const int jobs = 2_000;
        var next = -1;
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < jobs)
            {
                var (response, body) = await server.PostJobAsync($"{{\"model\":\"echo\",\"input\":{{\"n\":{next}}},\"deadline_ms\":3600000,\"cache\":false}}", waitSeconds: 30);
                if (!response.IsSuccessStatusCode || body.GetProperty("status").GetString() != "succeeded")
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }));

        Assert.Equal(0, failures);
        var until = DateTime.UtcNow.AddSeconds(10);
        while ((clock.Undisposed != baselineTimers || live.Count != baselineLive) && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        Assert.Equal(baselineLive, live.Count);
        Assert.Equal(baselineTimers, clock.Undisposed);
    }
}
