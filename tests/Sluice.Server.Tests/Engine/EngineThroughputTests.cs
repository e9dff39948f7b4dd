using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Sluice.Engine.Cli;
using Sluice.Engine.Loading;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;
using Xunit.Abstractions;

namespace Sluice.Server.Tests.Engine;

/// <summary>
/// Issue #3, item 6: 32 concurrent streams on a 15M-shaped model all stream from the first second, and the server's
/// aggregate tokens/s at 32 sequences is within 20 % of the engine benchmark at batch 32.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class EngineThroughputTests(ITestOutputHelper output) : IDisposable
{
    private const int Streams = 32;
    private const int MaxTokens = 96;
    private const int Attempts = 5;

    /// <summary>Tokens per closed-loop generation: long enough that prompt reading is a small share of the rows.</summary>
    private const int LoopTokens = 160;
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-15m-").FullName;

    [SharedDataFact("models/tokenizer32k.bin")]
    public async Task Generate_ThirtyTwoConcurrentStreamsOn15M_StreamFromFirstSecondAtEngineSpeed()
    {
        // A synthetic checkpoint at the real 15M shape (random weights; speed does not depend on their values).
        ModelSynthesizer.WriteLlama2c(Path.Combine(_dir, "s15m.bin"), ModelSynthesizer.Shape("15M"), seed: 15);
        File.CreateSymbolicLink(Path.Combine(_dir, "tokenizer32k.bin"), SharedDataFactAttribute.RequirePath("models/tokenizer32k.bin"));

        // Loaded as the server loads it (huge pages where available), so both sides read the weights the same way.
        using var model = ModelLoader.Load(Path.Combine(_dir, "s15m.bin"), Path.Combine(_dir, "tokenizer32k.bin"), hugePages: true);

        // The server runs as its own process, as deployed, so the test's clients do not share its runtime and GC.
        await using var server = await ServerProcess.StartAsync(Path.Combine(_dir, "data"), new Dictionary<string, string>
        {
            ["Sluice:Engine:ModelsPaths:0"] = _dir,
            ["Sluice:Models:s15m:MaxNumSeqs"] = Streams.ToString(CultureInfo.InvariantCulture),
        });

        // 32 streams submitted at once (the first round on a cold server): every one gets tokens within the first
        // second. As below, a round that misses while other load shares the machine is run again (up to three); a
        // server that admits the streams one after another misses every time.
        var slowest = double.MaxValue;
        for (var round = 1; round <= 3 && slowest >= 1000; round++)
        {
            var waitMs = await StreamAllAsync(server);
            slowest = waitMs.Max();
            output.WriteLine($"round {round}: first delta after submit: max {slowest:F0} ms");
        }

        Assert.True(slowest < 1000, $"in three rounds, some stream got its first token only {slowest:F0} ms after it was submitted");

        // Throughput: the server's best 2 s window against the engine's best run, measured back to back. A burst of
        // other load on a shared machine can land on either side, so a comparison that misses is measured again (up
        // to five attempts: on the CI machine three once read 0.76, 0.72 and 0.10 where a quiet one reads 1.1); a
        // real regression misses every time.
        var ratio = 0.0;
        for (var attempt = 1; attempt <= Attempts && ratio < 0.8; attempt++)
        {
            // A fresh process compiles its hot paths in the background for several seconds under load, hence the
            // long warm-up on the first attempt.
            var serverTokS = await ServerTokensPerSecondAsync(server, TimeSpan.FromSeconds(attempt == 1 ? 8 : 2));
            var engine = new EngineBenchRunner(model, Environment.ProcessorCount).Run([Streams], LoopTokens, TextWriter.Null, repeats: 3)[0];
            ratio = serverTokS / engine.TokensPerSecond;
            output.WriteLine($"attempt {attempt}: server {serverTokS:F0} tok/s (best 2 s window) with {Streams} clients in a closed loop; engine alone at batch {Streams}: {engine.TokensPerSecond:F0} tok/s; ratio {ratio:F2}");
        }

        Assert.True(ratio >= 0.8, $"the server reached {ratio:P0} of the engine's tokens/s at batch {Streams} in {Attempts} attempts (expected at least 80 %)");
    }

    /// <summary>
    /// 32 closed-loop clients keep the batch full; after <paramref name="warmUp"/>, the tokens of four 2-second windows
    /// are counted and the best window's rate is returned.
    /// </summary>
    private static async Task<double> ServerTokensPerSecondAsync(ServerProcess server, TimeSpan warmUp)
    {
        var loop = ClosedLoopAsync(server, warmUp + TimeSpan.FromSeconds(8));
        await Task.Delay(warmUp);
        var best = 0.0;
        for (var window = 0; window < 4; window++)
        {
            var before = await TokensGeneratedAsync(server);
            var clock = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(2));
            best = Math.Max(best, (await TokensGeneratedAsync(server) - before) / clock.Elapsed.TotalSeconds);
        }

        await loop;
        return best;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Submits <see cref="Streams"/> sampled generations at once and reads their events; returns each one's wait for its first delta.</summary>
    private static async Task<double[]> StreamAllAsync(ServerProcess server)
    {
        var start = Stopwatch.StartNew();
        var waitMs = new double[Streams];
        await Task.WhenAll(Enumerable.Range(0, Streams).Select(async i =>
        {
            var submitted = start.Elapsed.TotalMilliseconds;
            var input = JsonSerializer.Serialize(new { prompt = $"Once upon a time {i}", max_tokens = MaxTokens, temperature = 0.8, seed = i });
            var (r, body) = await server.Client.PostJobAsync($"{{\"model\":\"s15m\",\"cache\":false,\"input\":{input}}}");
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
            var id = body.GetProperty("id").GetString()!;
            using var events = await server.Client.GetAsync($"/v1/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
            await SseParser.ReadAllAsync(await events.Content.ReadAsStreamAsync(), CancellationToken.None, e =>
            {
                if (e.Event == "delta" && waitMs[i] == 0)
                {
                    waitMs[i] = start.Elapsed.TotalMilliseconds - submitted;
                }
            });
            var job = await server.Client.GetJobAsync(id);
            Assert.Equal("succeeded", job.GetProperty("status").GetString());

            // Random weights may sample end-of-sequence early; every stream must still have produced text.
            Assert.InRange(job.GetProperty("result").GetProperty("usage").GetProperty("completion_tokens").GetInt32(), 1, MaxTokens);
        }));
        return waitMs;
    }

    /// <summary>
    /// <see cref="Streams"/> clients, each submitting its next generation as soon as the last one finished. Greedy,
    /// like the engine benchmark it is compared with (every prompt differs, and the cache is off).
    /// </summary>
    private static async Task ClosedLoopAsync(ServerProcess server, TimeSpan duration)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, Streams).Select(async i =>
        {
            for (var n = 0; Stopwatch.GetTimestamp() < until; n++)
            {
                var (r, _) = await server.Client.PostJobAsync(
                    $"{{\"model\":\"s15m\",\"cache\":false,\"input\":{{\"prompt\":\"Once upon a time {i} {n}\",\"max_tokens\":{LoopTokens},\"temperature\":0}}}}",
                    waitSeconds: 60);
                Assert.True(r.IsSuccessStatusCode, $"closed-loop submit answered {(int)r.StatusCode}");
            }
        }));
    }

    private static async Task<double> TokensGeneratedAsync(ServerProcess server)
    {
        var text = await server.Client.GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("sluice_tokens_generated_total{", StringComparison.Ordinal) && line.Contains("model=\"s15m\"", StringComparison.Ordinal))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
