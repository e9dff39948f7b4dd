using System.CommandLine;
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
