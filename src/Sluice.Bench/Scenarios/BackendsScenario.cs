using System.Globalization;
using Sluice.Bench.Load;
using Sluice.Bench.Reporting;
using Sluice.Bench.Targets;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// <c>backends</c>: what Sluice adds in front of a remote model server. An OpenAI-compatible upstream in the bench
/// process streams a fixed generation at a fixed pace (the GPU's time per token); the same streaming chat requests go
/// to it directly and through a Sluice backend (queue, continuous batcher, job store, events), at the same concurrency
/// in the same run. Reports the added time to first token and gap between tokens, the throughput ratio, and the
/// server's CPU share and thread count while streaming (a proxy that holds a thread per busy stream shows it here).
/// </summary>
internal sealed class BackendsScenario : IScenario
{
    private const string BackendName = "remote";

    public string Name => "backends";

    public string Description => "streaming chat through a Sluice backend vs straight to the upstream: added TTFT and inter-token gap, CPU, threads";

    public IReadOnlyList<string> SettingKeys { get; } = ["tokens", "token-ms", "users"];

    public async Task<BenchRun> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        DateTimeOffset started = DateTimeOffset.UtcNow;
        int tokens = context.GetInt("tokens", 64);
        int tokenMs = context.GetInt("token-ms", 10);
        int[] levels = ParseLevels(context.GetString("users", context.Quick ? "4" : "1,32,128"));
        if (tokens < 1 || tokenMs < 0)
        {
            throw new BenchConfigurationException("--set tokens must be at least 1 and token-ms at least 0");
        }

        TimeSpan warmup = context.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(3);
        TimeSpan duration = context.Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(15);
        int maxUsers = levels.Max();

        await using FakeStreamingUpstream upstream = await FakeStreamingUpstream.StartAsync(tokens, TimeSpan.FromMilliseconds(tokenMs), cancellationToken).ConfigureAwait(false);
        string prefix = "--Sluice:Backends:" + BackendName + ":";
        await using SluiceServerProcess server = await context.StartServerAsync(
            "backends",
            [
                prefix + "Type=openai",
                prefix + "BaseUrl=" + new Uri(upstream.BaseUri, "/v1"),
                prefix + "UpstreamModel=" + FakeStreamingUpstream.ModelName,
                prefix + "MaxConcurrency=" + maxUsers.ToString(CultureInfo.InvariantCulture),
                // Every request runs: the same greedy request would otherwise be a result-cache hit after the first.
                prefix + "Deterministic=false",
                $"--Sluice:Models:{BackendName}:MaxQueueDepth={(maxUsers * 4).ToString(CultureInfo.InvariantCulture)}",
            ],
            cancellationToken).ConfigureAwait(false);
        var sampler = new ProcessSampler(server.ProcessId);

        var direct = new List<StageResult>(levels.Length);
        var proxied = new List<StageResult>(levels.Length);
        var usage = new List<(double Cpu, int Threads)>(levels.Length);
        var directSpec = new TargetSpec { Kind = TargetKind.Chat, Url = upstream.BaseUri, Model = FakeStreamingUpstream.ModelName, MaxTokens = tokens };
        await using (ILoadTarget t = TargetFactory.Create(directSpec, TimeSpan.FromSeconds(60)))
        {
            foreach (int users in levels)
            {
                direct.Add(await context.Session.RunStageAsync(t, Stage(users, warmup, duration), cancellationToken).ConfigureAwait(false));
            }
        }

        await using (ILoadTarget t = TargetFactory.Create(directSpec with { Url = server.BaseUri, Model = BackendName }, TimeSpan.FromSeconds(60)))
        {
            foreach (int users in levels)
            {
                using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                sampler.Mark();
                Task<int> peakThreads = PeakThreadsAsync(sampler, sampling.Token);
                proxied.Add(await context.Session.RunStageAsync(t, Stage(users, warmup, duration), cancellationToken).ConfigureAwait(false));
                double cpu = sampler.CpuSinceMark();
                await sampling.CancelAsync().ConfigureAwait(false);
                usage.Add((cpu, await peakThreads.ConfigureAwait(false)));
            }
        }

        var rows = new List<IReadOnlyList<string>>(levels.Length);
        for (int i = 0; i < levels.Length; i++)
        {
            StageResult d = direct[i];
            StageResult p = proxied[i];
            rows.Add(
            [
                p.Label,
                Fmt.Rate(d.ThroughputPerSecond * tokens),
                Fmt.Rate(p.ThroughputPerSecond * tokens),
                Fmt.Num(p.ThroughputPerSecond / Math.Max(1e-9, d.ThroughputPerSecond)),
                Fmt.Ms(Added(p.TimeToFirstEvent, d.TimeToFirstEvent, static s => s.P50Ms)),
                Fmt.Ms(Added(p.TimeToFirstEvent, d.TimeToFirstEvent, static s => s.P99Ms)),
                Fmt.Ms(Added(p.InterEvent, d.InterEvent, static s => s.P99Ms)),
                Fmt.Percent(usage[i].Cpu),
                Fmt.Int(usage[i].Threads),
                Fmt.Percent(p.ErrorRate + p.RejectionRate),
            ]);
        }

        return new BenchRun
        {
            Name = "scenario backends",
            Target = $"upstream {upstream.BaseUri} vs sluice {server.BaseUri} (backend '{BackendName}')",
            StartedAt = started,
            Series =
            [
                new StageSeries { Name = "straight to the upstream", Target = directSpec.Url.ToString(), Stages = direct },
                new StageSeries { Name = "through a Sluice backend", Target = server.BaseUri.ToString(), Stages = proxied },
            ],
            Summaries =
            [
                new SummaryTable
                {
                    Title = string.Create(CultureInfo.InvariantCulture, $"Streaming chat ({tokens} tokens, one every {tokenMs} ms upstream) through Sluice vs straight to the upstream"),
                    Columns = ["users", "direct tokens/s", "sluice tokens/s", "throughput ratio", "added TTFT p50 ms", "added TTFT p99 ms", "added inter-token p99 ms", "server CPU", "server threads (peak)", "errors+rejections"],
                    Rows = rows,
                },
            ],
            Notes =
            [
                "The upstream runs inside the bench process and shares its cores with the load generator and the Sluice server.",
                "Every request through Sluice is a job: admitted, journaled, queued, scheduled by the continuous batcher, streamed as events and rebuilt as OpenAI chunks.",
                "Server CPU is the Sluice process's share of all cores during the stage (warm-up included); threads are its operating-system threads, sampled every 250 ms.",
                $"Sluice server ready in {server.TimeToReady.TotalSeconds:0.0} s.",
            ],
        };
    }

    private static LoadOptions Stage(int users, TimeSpan warmup, TimeSpan duration) =>
        new() { Label = $"c={users}", Concurrency = users, Warmup = warmup, Duration = duration, RequestDeadline = TimeSpan.FromSeconds(60), MaxInFlight = Math.Max(512, users) };

    private static double Added(Histograms.LatencySummary? through, Histograms.LatencySummary? direct, Func<Histograms.LatencySummary, double> pick) =>
        through is null || direct is null ? double.NaN : pick(through) - pick(direct);

    private static async Task<int> PeakThreadsAsync(ProcessSampler sampler, CancellationToken cancellationToken)
    {
        int peak = sampler.Threads();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(250, cancellationToken).ConfigureAwait(false);
                peak = Math.Max(peak, sampler.Threads());
            }
        }
        catch (OperationCanceledException)
        {
            // The stage ended.
        }

        return peak;
    }

    private static int[] ParseLevels(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int[] levels = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out levels[i]) || levels[i] is < 1 or > 4096)
            {
                throw new BenchConfigurationException($"--set users={text}: expected comma-separated user counts from 1 to 4096");
            }
        }

        return levels.Length > 0 ? levels : throw new BenchConfigurationException("--set users: give at least one user count");
    }
}
