using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Cli.Commands;
using Sluice.Testing.Server;

namespace Sluice.Cli.Tests.Commands;

public sealed class BenchCommandTests
{
    [Fact]
    public void Parse_NoUrlGiven_DefaultsToTheUrlOfTheOtherClientCommands()
    {
        var bench = CommandCatalog.CreateRoot().Parse(["bench"]);
        var models = CommandCatalog.CreateRoot().Parse(["models"]);

        Assert.Equal("http://127.0.0.1:8080", ClientOptions.DefaultUrl);
        Assert.Equal(models.GetValue<string>("--url"), bench.GetValue<string>("--url"));
    }

    [Fact]
    public async Task Bench_InterruptedMidStage_WritesWhatRanAndExits130()
    {
        var served = 0;
        using var hold = new CancellationTokenSource();
        await using var server = await KestrelTestServer.StartAsync(app => app.MapGet("/ok", async () =>
        {
            // From the 20th request on the answers wait, so the closed-loop clients are in flight when Ctrl+C comes.
            if (Interlocked.Increment(ref served) > 20)
            {
                await Task.Delay(Timeout.Infinite, hold.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            return Results.Text("ok");
        }));
        var dir = Path.Combine(Path.GetTempPath(), "sluice-bench-interrupt-" + Guid.NewGuid().ToString("N"));
        try
        {
            var parse = CommandCatalog.CreateRoot().Parse(
            [
                "bench", "--target", "http", "--url", new Uri(server.BaseUri, "/ok").ToString(), "--concurrency", "2,4",
                "--warmup", "0s", "--duration", "60s", "--no-live", "--out", dir,
            ]);
            Assert.Empty(parse.Errors);
            using var ctrlC = new CancellationTokenSource();
            var run = parse.InvokeAsync(new InvocationConfiguration { Output = TextWriter.Null, Error = TextWriter.Null }, ctrlC.Token);

            // Ctrl+C once the first stage has measured something (bounded: a loaded machine may start slowly).
            var until = DateTime.UtcNow.AddSeconds(30);
            while (Volatile.Read(ref served) < 22 && DateTime.UtcNow < until && !run.IsCompleted)
            {
                await Task.Delay(20);
            }

            ctrlC.Cancel();
            var code = await run.WaitAsync(TimeSpan.FromSeconds(30));
            hold.Cancel();

            Assert.Equal(130, code);
            using var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "results.json")));
            var stage = Assert.Single(Assert.Single(results.RootElement.GetProperty("series").EnumerateArray()).GetProperty("stages").EnumerateArray());
            Assert.True(stage.GetProperty("sent").GetInt64() > 0, stage.ToString());
            // The requests Ctrl+C cut short are counted apart, not as failures of the server.
            Assert.Equal(0, stage.GetProperty("failed").GetInt64());
            Assert.True(stage.GetProperty("cancelled").GetInt64() >= 1, stage.ToString());
            Assert.Contains("Interrupted", results.RootElement.GetProperty("notes")[0].GetString());
            Assert.True(File.Exists(Path.Combine(dir, "results.md")));
        }
        finally
        {
            hold.Cancel();
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Bench_CancelledWithRequestsInFlight_StopsSendingLetsThemFinishAndWritesResults()
    {
        // Ctrl+C cancelled the requests in flight at once, so a slow server's answers were lost to the figures.
        await using var server = await SlowServer.StartAsync(fastFirst: 8, slow: TimeSpan.FromMilliseconds(1500));
        var dir = Path.Combine(Path.GetTempPath(), "sluice-bench-grace-" + Guid.NewGuid().ToString("N"));
        try
        {
            var parse = CommandCatalog.CreateRoot().Parse(
            [
                "bench", "--target", "http", "--url", server.Url, "--concurrency", "4", "--warmup", "0s", "--duration", "60s",
                "--interrupt-grace", "20s", "--no-live", "--out", dir,
            ]);
            Assert.Empty(parse.Errors);
            using var ctrlC = new CancellationTokenSource();
            var run = parse.InvokeAsync(new InvocationConfiguration { Output = TextWriter.Null, Error = TextWriter.Null }, ctrlC.Token);

            // Ctrl+C while all four users wait for a slow answer: none can send another before it comes.
            var servedAtCtrlC = await server.WaitAllSlowInFlightAsync(4, () => run.IsCompleted);
            await ctrlC.CancelAsync();
            var code = await run.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(130, code);
            Assert.Equal(servedAtCtrlC, server.Served);
            using var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "results.json")));
            var stage = Assert.Single(Assert.Single(results.RootElement.GetProperty("series").EnumerateArray()).GetProperty("stages").EnumerateArray());
            Assert.Equal(servedAtCtrlC, stage.GetProperty("succeeded").GetInt64());
            Assert.Equal(0, stage.GetProperty("cancelled").GetInt64());
            Assert.Equal(0, stage.GetProperty("failed").GetInt64());
            var note = results.RootElement.GetProperty("notes")[0].GetString()!;
            Assert.Contains("Interrupted", note, StringComparison.Ordinal);
            Assert.Contains("no request was sent after it", note, StringComparison.Ordinal);
            Assert.Contains("Interrupted", await File.ReadAllTextAsync(Path.Combine(dir, "results.md")), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Bench_SigtermWithAnswersSlowerThanTwoSeconds_WaitsForThemAndWritesResults()
    {
        // System.CommandLine ends the process two seconds after the signal unless told otherwise: answers due later
        // were lost, and with them the results files.
        await using var server = await SlowServer.StartAsync(fastFirst: 8, slow: TimeSpan.FromSeconds(3.5));
        var dir = Path.Combine(Path.GetTempPath(), "sluice-bench-sigterm-" + Guid.NewGuid().ToString("N"));
        var output = new ProcessOutput();
        using var process = ProcessOutput.StartSluice(output,
            "bench", "--target", "http", "--url", server.Url, "--concurrency", "2",
            "--warmup", "0s", "--duration", "60s", "--interrupt-grace", "30s", "--no-live", "--out", dir);
        try
        {
            var servedAtSignal = await server.WaitAllSlowInFlightAsync(2, () => process.HasExited, TimeSpan.FromSeconds(60));
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(process.ExitCode == 130, $"exit code {process.ExitCode}: {output.ToString()}");
            Assert.True(File.Exists(Path.Combine(dir, "results.json")), "no results.json: " + output.ToString());
            using var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "results.json")));
            var stage = Assert.Single(Assert.Single(results.RootElement.GetProperty("series").EnumerateArray()).GetProperty("stages").EnumerateArray());
            Assert.Equal(servedAtSignal, server.Served);
            Assert.Equal(servedAtSignal, stage.GetProperty("succeeded").GetInt64());
            Assert.Equal(0, stage.GetProperty("cancelled").GetInt64());
            Assert.Contains("Interrupted", results.RootElement.GetProperty("notes")[0].GetString(), StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public void ProcessTerminationTimeout_Bench_OutlastsTheLongestInterruptGrace()
    {
        var root = CommandCatalog.CreateRoot();
        var bench = root.Parse(["bench"]).CommandResult.Command;
        var models = root.Parse(["models"]).CommandResult.Command;

        Assert.True(CliRunner.ProcessTerminationTimeout(bench, TimeSpan.FromSeconds(2)) > TimeSpan.FromMinutes(1)); // --interrupt-grace is at most 60 s
        Assert.Equal(TimeSpan.FromSeconds(2), CliRunner.ProcessTerminationTimeout(models, TimeSpan.FromSeconds(2)));
    }

    /// <summary>A loopback server whose first answers are immediate and every later one takes <c>slow</c>.</summary>
    private sealed class SlowServer : IAsyncDisposable
    {
        private KestrelTestServer _server = null!;
        private int _served;
        private int _slowInFlight;

        public string Url => new Uri(_server.BaseUri, "/slow").ToString();

        public int Served => Volatile.Read(ref _served);

        public static async Task<SlowServer> StartAsync(int fastFirst, TimeSpan slow)
        {
            var s = new SlowServer();
            s._server = await KestrelTestServer.StartAsync(app => app.MapGet("/slow", async () =>
            {
                if (Interlocked.Increment(ref s._served) > fastFirst)
                {
                    Interlocked.Increment(ref s._slowInFlight);
                    await Task.Delay(slow);
                    Interlocked.Decrement(ref s._slowInFlight);
                }

                return Results.Text("ok");
            }));
            return s;
        }

        /// <summary>Waits until <paramref name="users"/> slow answers are pending at once; returns the requests served so far.</summary>
        public async Task<int> WaitAllSlowInFlightAsync(int users, Func<bool> gaveUp, TimeSpan? timeout = null)
        {
            var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
            while (Volatile.Read(ref _slowInFlight) < users)
            {
                Assert.False(gaveUp(), "the bench ended before its requests were in flight");
                Assert.True(DateTime.UtcNow < until, $"never {users} slow requests in flight at once");
                await Task.Delay(10);
            }

            return Served;
        }

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }

    [Fact]
    public async Task Bench_HttpTarget_RowsNamedByTheRequestNotTheModelOption()
    {
        // --target http sends no model: a row named after --model (or its default, echo) said a model ran.
        await using var server = await KestrelTestServer.StartAsync(app => app.MapGet("/ok", () => Results.Text("ok")));
        var dir = Path.Combine(Path.GetTempPath(), "sluice-bench-http-name-" + Guid.NewGuid().ToString("N"));
        try
        {
            var code = await CliRunner.RunAsync(
                ["bench", "--target", "http", "--url", new Uri(server.BaseUri, "/ok?x=1").ToString(), "--model", "llama-7b", "--concurrency", "1",
                 "--warmup", "0s", "--duration", "30s", "--requests", "3", "--no-live", "--out", dir],
                TextWriter.Null,
                TextWriter.Null);

            Assert.Equal(0, code);
            using var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "results.json")));
            var series = Assert.Single(results.RootElement.GetProperty("series").EnumerateArray());
            Assert.Equal("GET /ok?x=1", series.GetProperty("name").GetString());
            Assert.DoesNotContain("llama-7b", await File.ReadAllTextAsync(Path.Combine(dir, "results.md")), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("notaurl")]
    [InlineData("ftp://127.0.0.1/")]
    [InlineData("/v1/jobs")]
    public void ParseUrl_NotAnAbsoluteHttpUrl_RefusedNamingTheOptionAndTheValue(string value)
    {
        // Uri's own "Invalid URI: The format of the URI could not be determined." named neither.
        var ex = Assert.ThrowsAny<Exception>(() => BenchCommand.ParseUrl(value));

        Assert.StartsWith($"--url '{value}' is not an absolute http:// or https:// URL", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--priority", "urgent")]
    [InlineData("--input", "{bad")]
    [InlineData("--url", "http://example.com")]
    public async Task Bench_BadTargetOption_ExitsTwoAndLeavesNoResultsFolder(string option, string value)
    {
        var dir = Path.Combine(Path.GetTempPath(), "sluice-bench-bad-option-" + Guid.NewGuid().ToString("N"));
        try
        {
            var code = await CliRunner.RunAsync(
                ["bench", "--concurrency", "1", "--warmup", "0s", "--duration", "1s", "--no-live", "--out", dir, option, value],
                TextWriter.Null,
                TextWriter.Null);

            Assert.Equal(2, code);
            Assert.False(Directory.Exists(dir), "a refused run left its results folder behind");
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
