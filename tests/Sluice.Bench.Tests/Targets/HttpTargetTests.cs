using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Bench.Load;
using Sluice.Bench.Targets;
using Sluice.Testing.Server;

namespace Sluice.Bench.Tests.Targets;

public sealed class HttpTargetTests
{
    [Fact]
    public async Task RunAsync_RealKestrelMixedStatuses_SentEqualsSucceededPlusRejectedPlusFailed()
    {
        long received = 0;
        long ok = 0, rejected = 0, failed = 0;
        await using KestrelTestServer server = await KestrelTestServer.StartAsync(app => app.MapPost("/work", (HttpContext ctx) =>
        {
            long n = Interlocked.Increment(ref received);
            if (n % 5 == 0)
            {
                Interlocked.Increment(ref rejected);
                ctx.Response.Headers.RetryAfter = "1";
                return Results.StatusCode(429);
            }

            if (n % 13 == 0)
            {
                Interlocked.Increment(ref failed);
                return Results.StatusCode(500);
            }

            Interlocked.Increment(ref ok);
            return Results.Ok(new { n });
        }));
        var spec = new TargetSpec { Kind = TargetKind.Http, Url = new Uri(server.BaseUri, "/work"), Method = "POST", Body = "{}" };
        await using ILoadTarget target = TargetFactory.Create(spec, TimeSpan.FromSeconds(5));
        var runner = new LoadRunner(target, new LoadOptions { Concurrency = 10, Duration = TimeSpan.FromSeconds(1.5) });

        StageResult result = await runner.RunAsync();

        Assert.True(result.Sent > 100, $"sent {result.Sent}");
        Assert.Equal(result.Sent, result.Succeeded + result.Rejected + result.Failed);
        Assert.Equal(Interlocked.Read(ref received), result.Sent);
        Assert.Equal(ok, result.Succeeded);
        Assert.Equal(rejected, result.Rejected);
        Assert.Equal(failed, result.Failed);
        Assert.Equal(rejected, result.ByStatus["429"]);
        Assert.Equal(failed, result.ByStatus["500"]);
        Assert.Equal(rejected, result.RejectedWithRetryAfter);
        Assert.Equal(result.Sent, result.Latency.Count);
    }

    [Fact]
    public async Task RunAsync_ServerGone_ConnectionErrorsCounted()
    {
        Uri gone;
        await using (KestrelTestServer server = await KestrelTestServer.StartAsync(app => app.MapGet("/", () => "hi")))
        {
            gone = server.BaseUri;
        }

        await using ILoadTarget target = TargetFactory.Create(new TargetSpec { Kind = TargetKind.Http, Url = gone }, TimeSpan.FromSeconds(2));
        var runner = new LoadRunner(target, new LoadOptions { Concurrency = 2, Duration = TimeSpan.FromSeconds(60), MaxRequests = 20 });

        StageResult result = await runner.RunAsync();

        Assert.Equal(20, result.Sent);
        Assert.Equal(20, result.Failed);
        Assert.Equal(20, result.ByStatus["connection_error"]);
    }
}
