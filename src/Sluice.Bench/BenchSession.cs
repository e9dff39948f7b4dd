using Sluice.Bench.Load;
using Sluice.Bench.Reporting;
using Sluice.Bench.Targets;
using Spectre.Console;

namespace Sluice.Bench;

/// <summary>Runs series of stages against targets with the live display, for the CLI and the scenarios.</summary>
internal sealed class BenchSession
{
    private readonly IAnsiConsole _console;
    private readonly TimeProvider _time;
    private readonly bool _live;

    public BenchSession(IAnsiConsole console, TimeProvider? time = null, bool live = true)
    {
        _console = console;
        _time = time ?? TimeProvider.System;
        _live = live;
    }

    public IAnsiConsole Console => _console;

    public TimeProvider Time => _time;

    /// <summary>Runs one stage with the live display.</summary>
    public async Task<StageResult> RunStageAsync(ILoadTarget target, LoadOptions options, CancellationToken cancellationToken)
    {
        var runner = new LoadRunner(target, options, _time);
        Task<StageResult> run = runner.RunAsync(cancellationToken);
        StageResult result = _live
            ? await new LiveProgressDisplay(_console, _time).ShowAsync(runner.GetProgress, run).ConfigureAwait(false)
            : await run.ConfigureAwait(false);
        _console.MarkupLine(Markup.Escape(
            $"  {result.Label}: sent {result.Sent}, ok {result.Succeeded}, rejected {result.Rejected}, failed {result.Failed}, " +
            (result.Cancelled > 0 ? $"cancelled {result.Cancelled}, " : string.Empty) +
            $"{Fmt.Rate(result.ThroughputPerSecond)} rps, p50 {Fmt.Ms(result.Latency.P50Ms)} ms, p99 {Fmt.Ms(result.Latency.P99Ms)} ms"));
        return result;
    }

    /// <summary>Runs stages in order against one target; a cancel throws once the stage it cut short has returned.</summary>
    public Task<StageSeries> RunSeriesAsync(string name, ILoadTarget target, IReadOnlyList<LoadOptions> stages, CancellationToken cancellationToken) =>
        RunSeriesAsync(name, target, stages, keepPartial: false, cancellationToken);

    /// <summary>
    /// As <see cref="RunSeriesAsync(string, ILoadTarget, IReadOnlyList{LoadOptions}, CancellationToken)"/>, but a cancel
    /// (Ctrl+C) ends the series with the stages that ran, the interrupted one with what it measured, instead of throwing.
    /// </summary>
    public Task<StageSeries> RunSeriesUntilCancelledAsync(string name, ILoadTarget target, IReadOnlyList<LoadOptions> stages, CancellationToken cancellationToken) =>
        RunSeriesAsync(name, target, stages, keepPartial: true, cancellationToken);

    private async Task<StageSeries> RunSeriesAsync(string name, ILoadTarget target, IReadOnlyList<LoadOptions> stages, bool keepPartial, CancellationToken cancellationToken)
    {
        var results = new List<StageResult>(stages.Count);
        foreach (LoadOptions stage in stages)
        {
            if (keepPartial && cancellationToken.IsCancellationRequested)
            {
                break;
            }

            cancellationToken.ThrowIfCancellationRequested();
            results.Add(await RunStageAsync(target, stage, cancellationToken).ConfigureAwait(false));
        }

        return new StageSeries { Name = name, Target = target.Description, Stages = results };
    }
}
