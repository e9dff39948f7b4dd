using Sluice.Bench.Load;
using Sluice.Bench.Reporting;
using Sluice.Bench.Targets;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// <c>overhead</c>: the <c>echo</c> model through Sluice's full path (job API, queue, scheduler, storage, with
/// <c>Prefer: wait</c>) and through the synchronous infer path, against a bare ASP.NET Core endpoint hosted in the bench
/// process, at the same concurrency in the same run: RPS ratio and added p50/p99.
/// </summary>
internal sealed class OverheadScenario : IScenario
{
    private const string Input = """{"text":"hello"}""";

    public string Name => "overhead";

    public string Description => "echo through the full Sluice path vs a bare ASP.NET Core endpoint: RPS ratio and added p50/p99";

    public IReadOnlyList<string> SettingKeys { get; } = [];

    public async Task<BenchRun> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        DateTimeOffset started = DateTimeOffset.UtcNow;
        int[] levels = context.Quick ? [4] : [1, 16];
        TimeSpan warmup = context.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(3);
        TimeSpan duration = context.Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(15);

        await using BareEndpointHost bare = await BareEndpointHost.StartAsync(cancellationToken).ConfigureAwait(false);
        await using SluiceServerProcess server = await context.StartServerAsync("overhead", [], cancellationToken).ConfigureAwait(false);

        var series = new List<StageSeries>();
        await using (ILoadTarget t = new HttpTarget(bare.EchoUri, HttpMethod.Post, System.Text.Encoding.UTF8.GetBytes(Input)))
        {
            series.Add(await context.Session.RunSeriesAsync("bare ASP.NET Core", t, Stages(levels, warmup, duration), cancellationToken).ConfigureAwait(false));
        }

        var job = new TargetSpec { Kind = TargetKind.Job, Url = server.BaseUri, Model = "echo", InputJson = Input };
        await using (ILoadTarget t = TargetFactory.Create(job, TimeSpan.FromSeconds(30)))
        {
            series.Add(await context.Session.RunSeriesAsync("sluice job (full path)", t, Stages(levels, warmup, duration), cancellationToken).ConfigureAwait(false));
        }

        await using (ILoadTarget t = TargetFactory.Create(job with { Kind = TargetKind.Infer }, TimeSpan.FromSeconds(30)))
        {
            series.Add(await context.Session.RunSeriesAsync("sluice infer (sync)", t, Stages(levels, warmup, duration), cancellationToken).ConfigureAwait(false));
        }

        var rows = new List<IReadOnlyList<string>>();
        for (int i = 0; i < levels.Length; i++)
        {
            StageResult b = series[0].Stages[i];
            for (int s = 1; s < series.Count; s++)
            {
                StageResult x = series[s].Stages[i];
                rows.Add(
                [
                    series[s].Name,
                    b.Label,
                    Fmt.Rate(x.ThroughputPerSecond),
                    Fmt.Rate(b.ThroughputPerSecond),
                    Fmt.Num(x.ThroughputPerSecond / Math.Max(1e-9, b.ThroughputPerSecond)),
                    Fmt.Ms(x.Latency.P50Ms - b.Latency.P50Ms),
                    Fmt.Ms(x.Latency.P99Ms - b.Latency.P99Ms),
                    Fmt.Percent(x.ErrorRate + x.RejectionRate),
                ]);
            }
        }

        return new BenchRun
        {
            Name = "scenario overhead",
            Target = $"bare {bare.EchoUri} vs sluice {server.BaseUri}",
            StartedAt = started,
            Series = series,
            Summaries =
            [
                new SummaryTable
                {
                    Title = "Overhead of the Sluice path over a bare ASP.NET Core endpoint (same machine, same run)",
                    Columns = ["path", "users", "rps", "bare rps", "rps ratio", "added p50 ms", "added p99 ms", "errors+rejections"],
                    Rows = rows,
                },
            ],
            Notes =
            [
                "The bare endpoint runs inside the bench process and shares its cores with the load generator; the Sluice server is a separate process on the same cores.",
                $"Sluice server ready in {server.TimeToReady.TotalSeconds:0.0} s.",
            ],
        };
    }

    private static List<LoadOptions> Stages(int[] levels, TimeSpan warmup, TimeSpan duration)
    {
        var stages = new List<LoadOptions>(levels.Length);
        foreach (int c in levels)
        {
            stages.Add(new LoadOptions { Label = $"c={c}", Concurrency = c, Warmup = warmup, Duration = duration, RequestDeadline = TimeSpan.FromSeconds(30) });
        }

        return stages;
    }
}
