using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Sluice.Engine.Cli;
using Sluice.Engine.Loading;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;
using Xunit.Abstractions;

namespace Sluice.Server.Tests.Engine;

/// <summary>Issue #3, item 6: 32 concurrent streams on a 15M-shaped model all stream from the first second.</summary>
[Collection(TimingCollection.Name)]
public sealed class EngineThroughputTests(ITestOutputHelper output) : IDisposable
{
    private const int Streams = 32;
    private const int MaxTokens = 48;
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-15m-").FullName;

    [SharedDataFact("models/tokenizer32k.bin")]
    public async Task Generate_ThirtyTwoConcurrentStreamsOn15M_AllStreamWithinFirstSecond()
    {
        // A synthetic checkpoint at the real 15M shape (random weights; speed does not depend on their values).
        ModelSynthesizer.WriteLlama2c(Path.Combine(_dir, "s15m.bin"), ModelSynthesizer.Shape("15M"), seed: 15);
        File.CreateSymbolicLink(Path.Combine(_dir, "tokenizer32k.bin"), SharedDataFactAttribute.RequirePath("models/tokenizer32k.bin"));
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Engine:ModelsPaths:0"] = _dir,
            ["Sluice:Models:s15m:MaxNumSeqs"] = Streams.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        // Warm the JIT on the step path at a few batch sizes first; cold start is measured elsewhere.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            server.PostJobAsync($"{{\"model\":\"s15m\",\"cache\":false,\"input\":{{\"prompt\":\"warm {i}\",\"max_tokens\":16}}}}", waitSeconds: 60)));

        var start = Stopwatch.StartNew();
        var submitMs = new double[Streams];
        var firstDeltaMs = new double[Streams];
        var doneMs = new double[Streams];
        var tokens = new int[Streams];
        await Task.WhenAll(Enumerable.Range(0, Streams).Select(async i =>
        {
            submitMs[i] = start.Elapsed.TotalMilliseconds;
            var input = JsonSerializer.Serialize(new { prompt = $"Once upon a time {i}", max_tokens = MaxTokens, temperature = 0.8, seed = i });
            var (r, body) = await server.PostJobAsync($"{{\"model\":\"s15m\",\"cache\":false,\"input\":{input}}}");
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
            using var events = await server.Client.GetAsync($"/v1/jobs/{body.GetProperty("id").GetString()}/events", HttpCompletionOption.ResponseHeadersRead);
            await SseParser.ReadAllAsync(await events.Content.ReadAsStreamAsync(), CancellationToken.None, e =>
            {
                if (e.Event == "delta")
                {
                    if (firstDeltaMs[i] == 0)
                    {
                        firstDeltaMs[i] = start.Elapsed.TotalMilliseconds;
                    }
                }
            });
            doneMs[i] = start.Elapsed.TotalMilliseconds;
            var job = await server.GetJobAsync(body.GetProperty("id").GetString()!);
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            tokens[i] = job.GetProperty("result").GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        }));
        // Steady state: from the moment every stream was producing until the last one ended.
        var seconds = (doneMs.Max() - firstDeltaMs.Max()) / 1000;
        var waitMs = firstDeltaMs.Zip(submitMs, (f, s) => f - s).ToArray();
        var serverTokS = (tokens.Sum() - Streams) / seconds;

        using var model = ModelLoader.Load(Path.Combine(_dir, "s15m.bin"), Path.Combine(_dir, "tokenizer32k.bin"));
        var engine = new EngineBenchRunner(model, Environment.ProcessorCount).Run([Streams], MaxTokens, TextWriter.Null, repeats: 1)[0];
        output.WriteLine($"first delta after submit: max {waitMs.Max():F0} ms; server {serverTokS:F0} tok/s over {seconds:F1} s of steady state; engine alone at batch {Streams}: {engine.TokensPerSecond:F0} tok/s; ratio {serverTokS / engine.TokensPerSecond:F2}");

        // Random weights may sample end-of-sequence early; every stream must still have produced text.
        Assert.All(tokens, t => Assert.InRange(t, 1, MaxTokens));
        Assert.True(waitMs.Max() < 1000, $"a stream got its first token {waitMs.Max():F0} ms after it was submitted");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
