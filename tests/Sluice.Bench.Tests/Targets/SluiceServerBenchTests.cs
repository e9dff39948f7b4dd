using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Bench.Load;
using Sluice.Bench.Targets;
using Sluice.Server.Hosting;

namespace Sluice.Bench.Tests.Targets;

/// <summary>Short benches against the real Sluice server (hosted in-process on 127.0.0.1:0).</summary>
public sealed partial class SluiceServerBenchTests : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "sluice-bench-server-tests", Guid.NewGuid().ToString("N"));
    private WebApplication? _app;
    private Uri _baseUri = new("http://127.0.0.1/");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_dataDir, "models"));
        _app = SluiceServerHost.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--Sluice:Storage:DataDir=" + _dataDir,
            "--Sluice:Engine:ModelsPaths:0=" + Path.Combine(_dataDir, "models"),
            "--Sluice:BuiltIns:SleepBatchBaseMs=20",
            "--Sluice:BuiltIns:SleepBatchPerItemMs=1",
            "--Sluice:Models:sleep-batch:MaxBatchSize=2",
            "--Sluice:Models:sleep-batch:MaxQueueDepth=4",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await _app.StartAsync();
        _baseUri = new Uri(_app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        using var client = new HttpClient();
        for (int i = 0; i < 200; i++)
        {
            using HttpResponseMessage ready = await client.GetAsync(new Uri(_baseUri, "/health/ready"));
            if (ready.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException("The Sluice server did not become ready.");
    }

    [Fact]
    public async Task RunAsync_JobsAgainstRealServerWithBoundedQueue_SentEqualsSucceededPlusRejectedPlusFailed()
    {
        var spec = new TargetSpec { Kind = TargetKind.Job, Url = _baseUri, Model = "sleep-batch", InputJson = "{}" };
        await using ILoadTarget target = TargetFactory.Create(spec, TimeSpan.FromSeconds(10));
        var runner = new LoadRunner(target, new LoadOptions { Concurrency = 16, Duration = TimeSpan.FromSeconds(2), RequestDeadline = TimeSpan.FromSeconds(10) });

        StageResult result = await runner.RunAsync();

        Assert.True(result.Sent > 20, $"sent {result.Sent}");
        Assert.Equal(result.Sent, result.Succeeded + result.Rejected + result.Failed);
        Assert.Equal(result.Sent, result.ByStatus.Values.Sum());
        Assert.True(result.Succeeded > 0, "nothing succeeded");
        Assert.True(result.Rejected > 0, $"a queue of 4 with 16 users should reject: {string.Join(", ", result.ByStatus)}");
        Assert.Equal(result.Rejected, result.RejectedWithRetryAfter);
        Assert.Equal(0, result.AcceptedThenLost);
        Assert.Equal(result.Succeeded, result.Accepted);
        Assert.InRange(result.MeanBatchSize, 1, 2);

        // The server counted the same successes.
        Assert.Equal(result.Succeeded, await MetricAsync("sluice_jobs_finished_total", "sleep-batch", "succeeded"));
    }

    [Fact]
    public async Task RunAsync_SyncInferAndStreamAgainstRealServer_CountsAddUp()
    {
        await using ILoadTarget infer = TargetFactory.Create(new TargetSpec { Kind = TargetKind.Infer, Url = _baseUri, Model = "echo" }, TimeSpan.FromSeconds(10));
        StageResult sync = await new LoadRunner(infer, new LoadOptions { Concurrency = 4, Duration = TimeSpan.FromSeconds(1) }).RunAsync();
        Assert.True(sync.Succeeded > 50);
        Assert.Equal(sync.Sent, sync.Succeeded);

        await using ILoadTarget stream = TargetFactory.Create(new TargetSpec { Kind = TargetKind.JobStream, Url = _baseUri, Model = "count", InputJson = """{"n":8}""" }, TimeSpan.FromSeconds(10));
        StageResult streamed = await new LoadRunner(stream, new LoadOptions { Concurrency = 4, Duration = TimeSpan.FromSeconds(60), MaxRequests = 40 }).RunAsync();
        Assert.Equal(40, streamed.Sent);
        Assert.Equal(streamed.Sent, streamed.Succeeded + streamed.Rejected + streamed.Failed);
        Assert.Equal(40, streamed.Succeeded);
        Assert.Equal(40, streamed.TimeToFirstEvent!.Count);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<long> MetricAsync(string name, string model, string status)
    {
        using var client = new HttpClient();
        string text = await client.GetStringAsync(new Uri(_baseUri, "/metrics"));
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal)
                && line.Contains($"model=\"{model}\"", StringComparison.Ordinal)
                && line.Contains($"status=\"{status}\"", StringComparison.Ordinal))
            {
                Match m = TrailingNumber().Match(line);
                return (long)double.Parse(m.Value, CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    [GeneratedRegex(@"[0-9.eE+]+$")]
    private static partial Regex TrailingNumber();
}
