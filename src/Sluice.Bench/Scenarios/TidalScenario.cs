using System.Globalization;
using Sluice.Bench.Load;
using Sluice.Bench.Reporting;
using Sluice.Bench.Targets;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// <c>tidal</c>: a day of traffic (trough → evening peak → decline) against the essay grader with a bounded queue. The
/// grader's capacity is measured first; the day then peaks at 2.5× that capacity. Checks: no accepted request is lost,
/// overload is refused with 429/503 + Retry-After during the peak, and after the peak latency and rejections recover.
/// </summary>
internal sealed class TidalScenario : IScenario
{
    public string Name => "tidal";

    public string Description => "day-shaped load against the essay grader with bounded queues: no accepted request lost, Retry-After at the peak, recovery";

    public IReadOnlyList<string> SettingKeys { get; } = ["day-seconds", "queue-depth", "base-ms", "model", "input"];

    public async Task<BenchRun> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        DateTimeOffset started = DateTimeOffset.UtcNow;
        int queueDepth = context.GetInt("queue-depth", 32);
        string model = context.GetString("model", "essay-grader");
        TimeSpan day = context.Quick ? TimeSpan.FromSeconds(20) : TimeSpan.FromSeconds(context.GetInt("day-seconds", 240));
        string essay = "Technology has changed the way students learn. Computers let us find information quickly and "
            + "share our ideas with classmates, but they can also distract us from reading carefully. In my opinion schools "
            + "should teach students to use technology wisely rather than ban it.";
        // Graded every time: with the result cache the day would measure cache hits after the first essay.
        string submitBody = "{\"prompt_id\":1,\"cache\":false,\"text\":" + System.Text.Json.JsonSerializer.Serialize(essay) + "}";

        await using SluiceServerProcess server = await context.StartServerAsync(
            "tidal",
            [$"--Sluice:Models:{model}:MaxQueueDepth={queueDepth}", $"--Sluice:Models:sleep-batch:MaxQueueDepth={queueDepth}", "--Sluice:Models:sleep-batch:MaxBatchSize=8", "--Sluice:BuiltIns:SleepBatchBaseMs=" + context.GetInt("base-ms", 50).ToString(CultureInfo.InvariantCulture), "--Sluice:BuiltIns:SleepBatchPerItemMs=1"],
            cancellationToken).ConfigureAwait(false);
        var spec = new TargetSpec { Kind = TargetKind.Job, Url = server.BaseUri, SubmitPath = "/v1/essays", SubmitBody = submitBody, Model = model };
        var notes = new List<string>();
        if (model != "essay-grader")
        {
            // Another model through the job API (e.g. --set model=sleep-batch, slow enough for the client to overload it).
            notes.Add($"The day ran against '{model}' through /v1/jobs (--set model={model}).");
            spec = new TargetSpec { Kind = TargetKind.Job, Url = server.BaseUri, Model = model, InputJson = context.GetString("input", "{}") };
        }
        else if (!(await ServerModels.ListAsync(server.BaseUri, cancellationToken).ConfigureAwait(false)).Contains(model))
        {
            // The grader is not served by this build: run the same day against sleep-batch (same bounded queue) instead.
            notes.Add($"'{model}' is not served by this build (GET /v1/models); the day ran against sleep-batch with MaxQueueDepth {queueDepth} through /v1/jobs instead.");
            model = "sleep-batch";
            spec = new TargetSpec { Kind = TargetKind.Job, Url = server.BaseUri, Model = model, InputJson = "{}" };
        }

        TimeSpan deadline = TimeSpan.FromSeconds(60);
        await using ILoadTarget target = TargetFactory.Create(spec, deadline);

        // 1. Capacity: a closed loop deep enough to keep the grader busy.
        StageResult capacity = await context.Session.RunStageAsync(target, new LoadOptions
        {
            Label = "capacity",
            Concurrency = Math.Min(8, queueDepth),
            Warmup = TimeSpan.FromSeconds(context.Quick ? 1 : 3),
            Duration = TimeSpan.FromSeconds(context.Quick ? 3 : 10),
            RequestDeadline = deadline,
        }, cancellationToken).ConfigureAwait(false);
        double cap = Math.Max(1, capacity.ThroughputPerSecond);

        // 2. The day: trough at 20% of capacity, peak at 250%.
        var profile = new TidalProfile(cap * 0.2, cap * 2.5, day);
        StageResult tide = await context.Session.RunStageAsync(target, new LoadOptions
        {
            Label = "tidal day",
            Mode = LoadMode.Open,
            Profile = profile,
            Duration = day,
            RequestDeadline = deadline,
            MaxInFlight = 2048,
            TimelineWindow = TimeSpan.FromSeconds(Math.Max(1, day.TotalSeconds / 60)),
        }, cancellationToken).ConfigureAwait(false);

        // Peak = windows where the profile offers more than capacity; recovery = the last 10% of the day.
        IReadOnlyList<TimelinePoint> points = tide.Timeline;
        double peakRejected = 0, offPeakRejected = 0, earlyP99 = 0, lateP99 = 0, lateRejected = 0;
        int early = 0, late = 0;
        foreach (TimelinePoint p in points)
        {
            double rate = profile.RateAt(TimeSpan.FromSeconds(p.StartSeconds));
            if (rate > cap)
            {
                peakRejected += p.RejectedPerSecond;
            }
            else
            {
                offPeakRejected += p.RejectedPerSecond;
            }

            if (p.StartSeconds < day.TotalSeconds * 0.15)
            {
                earlyP99 = Math.Max(earlyP99, p.P99Ms);
                early++;
            }
            else if (p.StartSeconds >= day.TotalSeconds * 0.9 && p.StartSeconds < day.TotalSeconds)
            {
                lateP99 = Math.Max(lateP99, p.P99Ms);
                lateRejected += p.RejectedPerSecond;
                late++;
            }
        }

        bool noLoss = tide.AcceptedThenLost == 0;
        bool retryAfter = tide.Rejected > 0 && tide.RejectedWithRetryAfter == tide.Rejected;
        bool recovered = lateRejected == 0 && (earlyP99 == 0 || lateP99 <= Math.Max(earlyP99 * 2, earlyP99 + 100));
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "capacity (closed loop)", Fmt.Rate(cap) + " essays/s", $"p99 {Fmt.Ms(capacity.Latency.P99Ms)} ms" },
            new[] { "profile", profile.Description, $"queue depth {queueDepth}" },
            new[] { "sent / accepted / succeeded", $"{tide.Sent} / {tide.Accepted} / {tide.Succeeded}", $"dropped by client {tide.ClientDropped}" },
            new[] { "accepted then lost", Fmt.Int(tide.AcceptedThenLost), noLoss ? "PASS: none lost" : "FAIL" },
            new[] { "rejected (with Retry-After)", $"{tide.Rejected} ({tide.RejectedWithRetryAfter})", retryAfter ? "PASS" : tide.Rejected == 0 ? "no rejection: peak did not overload" : "FAIL: some rejections had no Retry-After" },
            new[] { "rejections at peak vs off-peak (req·s/s)", $"{Fmt.Num(peakRejected)} vs {Fmt.Num(offPeakRejected)}", string.Empty },
            new[] { "p99 first 15% vs last 10% of the day", $"{Fmt.Ms(earlyP99)} ms vs {Fmt.Ms(lateP99)} ms", recovered ? "PASS: recovered" : "FAIL: not recovered" },
            new[] { "status codes", StageTable.Statuses(tide), string.Empty },
        };

        return new BenchRun
        {
            Name = "scenario tidal",
            Target = target.Description,
            StartedAt = started,
            Series = [new StageSeries { Name = model, Target = target.Description, Stages = [capacity, tide] }],
            Summaries = [new SummaryTable { Title = $"Tidal day against {model}", Columns = ["check", "value", "verdict"], Rows = rows }],
            Notes =
            [
                .. notes,
                string.Create(CultureInfo.InvariantCulture, $"The bench does not retry rejected requests; a rejected request is counted once. {early} early and {late} late timeline windows."),
            ],
        };
    }
}
