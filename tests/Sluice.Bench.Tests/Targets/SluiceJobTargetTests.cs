using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Bench.Load;
using Sluice.Bench.Targets;
using Sluice.Testing.Server;

namespace Sluice.Bench.Tests.Targets;

public sealed class SluiceJobTargetTests
{
    [Fact]
    public async Task RunAsync_JobWaitInlineAndPolled_AllSucceedAndBatchSizeRead()
    {
        var api = new FakeJobApi(runMs: 10, tokens: 0);
        await using KestrelTestServer server = await KestrelTestServer.StartAsync(api.Map);
        var spec = new TargetSpec { Kind = TargetKind.Job, Url = server.BaseUri, Model = "echo" };
        await using ILoadTarget target = TargetFactory.Create(spec, TimeSpan.FromSeconds(5));
        var runner = new LoadRunner(target, new LoadOptions { Concurrency = 4, Duration = TimeSpan.FromSeconds(1) });

        StageResult result = await runner.RunAsync();

        Assert.True(result.Sent > 20);
        Assert.Equal(result.Sent, result.Succeeded);
        Assert.Equal(api.Submitted, result.Sent);
        Assert.Equal(result.Sent, result.Accepted);
        Assert.Equal(0, result.AcceptedThenLost);
        Assert.InRange(result.MeanBatchSize, 3, 5); // 3 inline, 5 when polled
    }

    [Fact]
    public async Task RunAsync_JobStream_TimeToFirstEventAndInterEventMeasured()
    {
        var api = new FakeJobApi(runMs: 15, tokens: 4);
        await using KestrelTestServer server = await KestrelTestServer.StartAsync(api.Map);
        var spec = new TargetSpec { Kind = TargetKind.JobStream, Url = server.BaseUri, Model = "count", InputJson = """{"n":4}""" };
        await using ILoadTarget target = TargetFactory.Create(spec, TimeSpan.FromSeconds(5));
        var runner = new LoadRunner(target, new LoadOptions { Concurrency = 3, Duration = TimeSpan.FromSeconds(1) });

        StageResult result = await runner.RunAsync();

        Assert.True(result.Succeeded > 3);
        Assert.Equal(result.Sent, result.Succeeded + result.Rejected + result.Failed);
        Assert.NotNull(result.TimeToFirstEvent);
        Assert.NotNull(result.InterEvent);
        Assert.Equal(result.Succeeded, result.TimeToFirstEvent!.Count);
        Assert.Equal(3 * result.Succeeded, result.InterEvent!.Count);
        Assert.InRange(result.InterEvent.P50Ms, 12, 200);
        Assert.True(result.TimeToFirstEvent.P50Ms >= 14);
        Assert.Equal(2, result.MeanBatchSize);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task RunAsync_ResultCacheSetting_SentAsTheJobsCacheField(bool stream, bool useCache)
    {
        var api = new FakeJobApi(runMs: 1, tokens: 1);
        await using KestrelTestServer server = await KestrelTestServer.StartAsync(api.Map);
        var spec = new TargetSpec { Kind = stream ? TargetKind.JobStream : TargetKind.Job, Url = server.BaseUri, Model = "count", InputJson = """{"n":1}""", UseResultCache = useCache };
        await using ILoadTarget target = TargetFactory.Create(spec, TimeSpan.FromSeconds(5));

        var runner = new LoadRunner(target, new LoadOptions { Concurrency = 1, Duration = TimeSpan.FromSeconds(60), MaxRequests = 2 });

        StageResult result = await runner.RunAsync();

        Assert.Equal(2, result.Succeeded);
        Assert.Equal([useCache, useCache], api.CacheFlags);
        Assert.Equal(!useCache, target.Description.Contains("result cache bypassed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_JobRejections_CountedWithRetryAfter()
    {
        var api = new FakeJobApi(runMs: 1, tokens: 0, rejectEvery: 4);
        await using KestrelTestServer server = await KestrelTestServer.StartAsync(api.Map);
        var spec = new TargetSpec { Kind = TargetKind.Job, Url = server.BaseUri };
        await using ILoadTarget target = TargetFactory.Create(spec, TimeSpan.FromSeconds(5));
        var runner = new LoadRunner(target, new LoadOptions { Concurrency = 2, Duration = TimeSpan.FromSeconds(60), MaxRequests = 200 });

        StageResult result = await runner.RunAsync();

        Assert.Equal(200, result.Sent);
        Assert.Equal(50, result.Rejected);
        Assert.Equal(50, result.RejectedWithRetryAfter);
        Assert.Equal(150, result.Succeeded);
        Assert.Equal(150, result.Accepted);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunAsync_JobDeadLettered_CountedAsJobFailedNotTimeout(bool stream)
    {
        // A job that failed every attempt ends dead_lettered: on the job record, and as the stream's terminal event.
        await using KestrelTestServer server = await KestrelTestServer.StartAsync(app =>
        {
            app.MapPost("/v1/jobs", () => Results.Json(new { id = "j1", status = "queued" }, statusCode: 202));
            app.MapGet("/v1/jobs/j1", () => Results.Json(new { id = "j1", status = "dead_lettered", error = "asked to fail" }));
            app.MapGet("/v1/jobs/j1/events", async (HttpContext ctx) =>
            {
                ctx.Response.ContentType = "text/event-stream";
                await ctx.Response.WriteAsync("id: 1\nevent: queued\ndata: {}\n\nid: 2\nevent: started\ndata: {\"attempt\":3}\n\n");
                await ctx.Response.WriteAsync("id: 3\nevent: dead_lettered\ndata: {\"status\":\"dead_lettered\",\"error\":\"asked to fail\"}\n\n");
            });
        });
        var spec = new TargetSpec { Kind = stream ? TargetKind.JobStream : TargetKind.Job, Url = server.BaseUri, Model = "sleep-batch" };
        await using ILoadTarget target = TargetFactory.Create(spec, TimeSpan.FromSeconds(3));
        var runner = new LoadRunner(target, new LoadOptions { Concurrency = 1, Duration = TimeSpan.FromSeconds(60), MaxRequests = 2 });

        StageResult result = await runner.RunAsync();

        Assert.Equal(2, result.Failed);
        Assert.Equal(2, Assert.Contains(OutcomeCodes.Name(OutcomeCodes.JobFailed), result.ByStatus));
    }

    [Fact]
    public async Task RunAsync_ChatCompletionsStream_EachChunkWithTextIsAnEvent()
    {
        await using KestrelTestServer server = await KestrelTestServer.StartAsync(app => app.MapPost("/v1/chat/completions", async (HttpContext ctx) =>
        {
            ctx.Response.ContentType = "text/event-stream";
            // The role-only opening chunk and the closing chunk carry no text: not events.
            await ctx.Response.WriteAsync("data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n");
            for (int i = 0; i < 5; i++)
            {
                await ctx.Response.WriteAsync($"data: {{\"choices\":[{{\"delta\":{{\"content\":\"t{i}\"}}}}]}}\n\n");
                await ctx.Response.Body.FlushAsync();
                await Task.Delay(5);
            }

            await ctx.Response.WriteAsync("data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
            await ctx.Response.WriteAsync("data: [DONE]\n\n");
        }));
        var spec = new TargetSpec { Kind = TargetKind.Chat, Url = server.BaseUri, Model = "tiny" };
        await using ILoadTarget target = TargetFactory.Create(spec, TimeSpan.FromSeconds(5));
        var runner = new LoadRunner(target, new LoadOptions { Concurrency = 2, Duration = TimeSpan.FromSeconds(60), MaxRequests = 20 });

        StageResult result = await runner.RunAsync();

        Assert.Equal(20, result.Succeeded);
        Assert.Equal(20, result.TimeToFirstEvent!.Count);
        Assert.Equal(80, result.InterEvent!.Count);
    }

    [Theory]
    [InlineData("{\"choices\":[{\"delta\":{\"content\":\" the\"}}]}", true)]
    [InlineData("{\"choices\":[{\"delta\": {\"content\": \"x\"}}]}", true)]
    [InlineData("{\"choices\":[{\"text\":\"abc\",\"index\":0}]}", true)]
    [InlineData("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}", false)]
    [InlineData("{\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}", false)]
    [InlineData("{\"choices\":[],\"usage\":{\"completion_tokens\":3}}", false)]
    public void HasText_Chunk_TrueOnlyWhenItCarriesText(string chunk, bool expected)
    {
        Assert.Equal(expected, ChatCompletionsTarget.HasText(chunk));
    }
}
