using System.Diagnostics;
using System.Globalization;
using Sluice.Bench.Load;
using Sluice.Bench.Reporting;
using Sluice.Bench.Targets;
using Spectre.Console;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// <c>batching</c>: seed 004's comparison on one model and one machine, in one run. For each model
/// (<c>sleep-batch</c>, and the engine on a synthetic 15M-shaped checkpoint when <c>sluice model synth</c> exists) and
/// each mode — (a) synchronous <c>/infer</c>, (b) async queue without batching, (c) dynamic batching (batch models),
/// (d) continuous batching (generative models) — it starts a fresh server, measures time to ready and a cold first
/// window, searches the QPS ceiling under the P99 SLO, measures P99 at the synchronous ceiling, a warm window at the
/// cold window's rate, batch fill and server CPU.
/// </summary>
internal sealed class BatchingScenario : IScenario
{
    public string Name => "batching";

    public string Description => "seed 004: synchronous vs async queue vs dynamic/continuous batching: QPS ceiling, P99, cold start, utilisation";

    public IReadOnlyList<string> SettingKeys { get; } = ["slo-ms", "start-rate", "base-ms", "per-item-ms", "max-batch", "models", "engine-slo-ms", "engine-start-rate", "tokens", "engine-model", "engine-models-dir"];

    public async Task<BenchRun> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        DateTimeOffset started = DateTimeOffset.UtcNow;
        var notes = new List<string>();
        var models = new List<BatchingModel>();
        int maxBatch = context.GetInt("max-batch", 32);
        int baseMs = context.GetInt("base-ms", 20);
        int perItemMs = context.GetInt("per-item-ms", 1);
        string only = context.GetString("models", "sleep-batch,engine");

        if (only.Contains("sleep-batch", StringComparison.Ordinal))
        {
            models.Add(new BatchingModel(
                "sleep-batch",
                "sleep-batch",
                "{}",
                context.GetDouble("slo-ms", 250),
                context.GetDouble("start-rate", 10),
                [$"--Sluice:BuiltIns:SleepBatchBaseMs={baseMs}", $"--Sluice:BuiltIns:SleepBatchPerItemMs={perItemMs}"],
                Generative: false));
        }

        if (only.Contains("engine", StringComparison.Ordinal))
        {
            (string? modelsDir, string? why) = await EnsureEngineCheckpointAsync(context, cancellationToken).ConfigureAwait(false);
            if (modelsDir is null)
            {
                notes.Add("Engine model skipped: " + why);
            }
            else
            {
                int tokens = context.GetInt("tokens", 32);
                models.Add(new BatchingModel(
                    "engine 15M",
                    context.GetString("engine-model", "synth-15m"),
                    $$"""{"prompt":"Once upon a time","max_tokens":{{tokens}},"temperature":0}""",
                    context.GetDouble("engine-slo-ms", 2000),
                    context.GetDouble("engine-start-rate", 1),
                    ["--Sluice:Engine:ModelsPaths:0=" + modelsDir],
                    Generative: true));
            }
        }

        TimeSpan warmup = TimeSpan.FromSeconds(context.Quick ? 0.5 : 1);
        TimeSpan probe = TimeSpan.FromSeconds(context.Quick ? 1.5 : 5);
        TimeSpan window = TimeSpan.FromSeconds(context.Quick ? 2 : 8);
        var series = new List<StageSeries>();
        var rows = new List<IReadOnlyList<string>>();
        foreach (BatchingModel model in models)
        {
            double syncCeiling = 0;
            double syncP99 = 0;
            double bestBatched = 0;
            foreach (BatchingMode mode in Modes(model, maxBatch))
            {
                cancellationToken.ThrowIfCancellationRequested();
                context.Session.Console.WriteLine($"batching: {model.Name} / {mode.Name}");
                string logName = ChartSet.Slug($"batching-{model.Name}-{mode.Name}");
                var config = new List<string>(model.ServerArgs);
                config.AddRange(mode.ServerArgs);
                await using SluiceServerProcess server = await context.StartServerAsync(logName, config, cancellationToken).ConfigureAwait(false);
                if (!(await ServerModels.ListAsync(server.BaseUri, cancellationToken).ConfigureAwait(false)).Contains(model.Model))
                {
                    notes.Add($"{model.Name} skipped: the server does not serve '{model.Model}' (GET /v1/models) with {string.Join(' ', model.ServerArgs)}.");
                    break;
                }

                var sampler = new ProcessSampler(server.ProcessId);
                Uri serverUri = server.BaseUri;
                string modelName = model.Model;
                var search = new CeilingSearch(
                    context.Session,
                    warmup,
                    probe,
                    maxDoublings: context.Quick ? 3 : 10,
                    bisections: context.Quick ? 1 : 2,
                    drain: ct => ServerModels.WaitIdleAsync(serverUri, modelName, TimeSpan.FromSeconds(30), ct));
                var spec = new TargetSpec { Kind = mode.Kind, Url = server.BaseUri, Model = model.Model, InputJson = model.InputJson };
                // Jobs carry the probes' deadline, so the server drops work the client has given up on.
                await using ILoadTarget target = TargetFactory.Create(spec, TimeSpan.FromMilliseconds(Math.Clamp(model.SloMs * 2, 1000, 30_000)));
                double coldRate = model.StartRate * 2;
                var stages = new List<StageResult>();

                // Cold: straight after ready, no warm-up.
                StageResult cold = await context.Session.RunStageAsync(target, Window($"{mode.Name} cold {coldRate:0.#}/s", coldRate, TimeSpan.Zero, window, model.SloMs), cancellationToken).ConfigureAwait(false);

                // P99 at the synchronous ceiling (the seed's "lower P99 at the same load"), on a server not yet pushed past its ceiling.
                CeilingProbe? atSync = null;
                if (!mode.Name.StartsWith("sync", StringComparison.Ordinal) && syncCeiling > 0)
                {
                    atSync = await search.ProbeAsync($"{mode.Name} @sync", target, syncCeiling, model.SloMs, sampler, cancellationToken).ConfigureAwait(false);
                }

                CeilingResult ceiling = await search.FindAsync(mode.Name, target, model.StartRate, model.SloMs, sampler, cancellationToken).ConfigureAwait(false);
                if (atSync is not null)
                {
                    stages.Add(atSync.Stage);
                }

                foreach (CeilingProbe p in ceiling.Probes)
                {
                    stages.Add(p.Stage);
                }

                double p99AtSync = atSync?.Stage.Latency.P99Ms ?? 0;
                if (mode.Name.StartsWith("sync", StringComparison.Ordinal))
                {
                    syncCeiling = ceiling.Rate;
                    syncP99 = ceiling.Ceiling?.Stage.Latency.P99Ms ?? 0;
                    p99AtSync = syncP99;
                }

                if (ceiling.ServerStalled)
                {
                    notes.Add($"{model.Name} / {mode.Name}: the server was still busy (GET /v1/models: jobs queued or in flight) 30 s after an overloaded probe, so the search stopped there (logs/{logName}.log).");
                }

                await ServerModels.WaitIdleAsync(serverUri, modelName, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                StageResult warm = await context.Session.RunStageAsync(target, Window($"{mode.Name} warm {coldRate:0.#}/s", coldRate, TimeSpan.FromSeconds(2), window, model.SloMs), cancellationToken).ConfigureAwait(false);
                stages.Insert(0, cold);
                stages.Add(warm);
                series.Add(new StageSeries { Name = $"{model.Name} {mode.Name}", Target = target.Description, Stages = stages });

                CeilingProbe? top = ceiling.Ceiling;
                if (mode.MaxBatch > 1)
                {
                    bestBatched = Math.Max(bestBatched, ceiling.Rate);
                }

                double fill = top is null || mode.MaxBatch <= 1 ? 0 : top.Stage.MeanBatchSize / mode.MaxBatch;
                string ratio = syncCeiling > 0 && ceiling.Rate > 0 ? Fmt.Num(ceiling.Rate / syncCeiling) + "×" : "-";
                rows.Add(
                [
                    model.Name,
                    mode.Name,
                    (top is null ? "< " + Fmt.Rate(model.StartRate / 4) : Fmt.Rate(ceiling.Rate) + (ceiling.HitSearchLimit ? "+" : string.Empty)) + (ceiling.ServerStalled ? " (server stalled)" : string.Empty),
                    top is null ? "-" : Fmt.Ms(top.Stage.Latency.P99Ms),
                    ratio,
                    p99AtSync > 0 ? Fmt.Ms(p99AtSync) : "-",
                    string.Create(CultureInfo.InvariantCulture, $"ready {server.TimeToReady.TotalSeconds:0.0} s; cold p99 {Fmt.Ms(cold.Latency.P99Ms)} vs warm {Fmt.Ms(warm.Latency.P99Ms)} ms (×{(warm.Latency.P99Ms > 0 ? cold.Latency.P99Ms / warm.Latency.P99Ms : 0):0.0}); first max {Fmt.Ms(cold.Latency.MaxMs)} ms"),
                    mode.MaxBatch <= 1
                        ? $"batch 1; CPU {Fmt.Percent(top?.ServerCpu ?? 0)}"
                        : $"batch {Fmt.Num(top?.Stage.MeanBatchSize ?? 0)}/{mode.MaxBatch} ({Fmt.Percent(fill)}); CPU {Fmt.Percent(top?.ServerCpu ?? 0)}",
                ]);
            }

            if (syncCeiling > 0 && bestBatched > 0)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"{model.Name}: best batching ceiling is {bestBatched / syncCeiling:0.0}× the synchronous ceiling (issue #6 asks ≥ 8× for the engine)."));
            }
        }

        notes.Add($"Ceiling = highest Poisson rate with P99 ≤ SLO and failures+rejections ≤ 1%; probes double from the start rate, then the bracket between the last pass and the first failure is halved (geometrically) twice. '+' = never failed up to the search limit.");
        notes.Add($"Probe: {warmup.TotalSeconds:0.#} s warm-up + {probe.TotalSeconds:0.#} s measured. Cold/warm windows: {window.TotalSeconds:0.#} s at twice the start rate, cold right after /health/ready, warm after 2 s warm-up at the end.");
        notes.Add($"sleep-batch costs BaseMs + PerItemMs·batch = {baseMs} + {perItemMs}·n ms per batch; dynamic batching uses MaxBatchSize {maxBatch}.");
        return new BenchRun
        {
            Name = "scenario batching",
            StartedAt = started,
            Series = series,
            Summaries =
            [
                new SummaryTable
                {
                    Title = "Seed 004's comparison (方案类型 / QPS 上限 / P99 延迟 / 冷启动影响 / 资源利用率) on this machine",
                    Columns = ["model", "mode", "QPS ceiling", "P99 at ceiling ms", "ceiling vs sync", "P99 at sync ceiling ms", "cold-start impact", "utilisation"],
                    Rows = rows,
                },
            ],
            Notes = notes,
        };
    }

    private static LoadOptions Window(string label, double rate, TimeSpan warmup, TimeSpan duration, double sloMs) => new()
    {
        Label = label,
        Mode = LoadMode.Open,
        Profile = new ConstantRateProfile(rate),
        Warmup = warmup,
        Duration = duration,
        RequestDeadline = TimeSpan.FromMilliseconds(Math.Clamp(sloMs * 4, 2000, 60_000)),
        MaxInFlight = 4096,
    };

    private static IEnumerable<BatchingMode> Modes(BatchingModel model, int maxBatch)
    {
        string m = model.Model;
        yield return new BatchingMode("sync (a)", TargetKind.Infer, 1, []);
        yield return new BatchingMode("queue, no batching (b)", TargetKind.Job, 1, [$"--Sluice:Models:{m}:MaxBatchSize=1", $"--Sluice:Models:{m}:MaxNumSeqs=1", $"--Sluice:Models:{m}:MaxQueueDepth=100000"]);
        if (model.Generative)
        {
            yield return new BatchingMode("continuous batching (d)", TargetKind.Job, maxBatch, [$"--Sluice:Models:{m}:MaxNumSeqs={maxBatch}", $"--Sluice:Models:{m}:MaxBatchSize={maxBatch}", $"--Sluice:Models:{m}:MaxQueueDepth=100000"]);
        }
        else
        {
            yield return new BatchingMode("dynamic batching (c)", TargetKind.Job, maxBatch, [$"--Sluice:Models:{m}:MaxBatchSize={maxBatch}", $"--Sluice:Models:{m}:MaxQueueDelayMs=5", $"--Sluice:Models:{m}:MaxQueueDepth=100000"]);
        }
    }

    /// <summary>Makes (once) a synthetic 15M-shaped GGUF checkpoint under bench-results/models with <c>sluice model synth</c>; the engine names it after the file.</summary>
    private static async Task<(string? Dir, string? Why)> EnsureEngineCheckpointAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        string modelsDir = context.GetString("engine-models-dir", Path.Combine(context.RepoRoot, "bench-results", "models"));
        string name = context.GetString("engine-model", "synth-15m");
        string target = Path.Combine(modelsDir, name + ".gguf");
        if (File.Exists(target))
        {
            return (modelsDir, null);
        }

        Directory.CreateDirectory(modelsDir);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in (string[])[context.SluiceDll, "model", "synth", "--shape", "15M", "--format", "gguf", "--out", target])
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (null, "sluice model synth did not finish within 3 minutes");
        }

        if (process.ExitCode != 0)
        {
            string message = (await stderr.ConfigureAwait(false) + await stdout.ConfigureAwait(false)).Trim();
            int newline = message.IndexOf('\n', StringComparison.Ordinal);
            return (null, $"sluice model synth --shape 15M failed (exit {process.ExitCode}): {(newline > 0 ? message[..newline] : message)}");
        }

        return (modelsDir, null);
    }
}
