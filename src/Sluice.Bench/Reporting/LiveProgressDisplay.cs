using Sluice.Bench.Load;
using Spectre.Console;

namespace Sluice.Bench.Reporting;

/// <summary>
/// Shows a running stage live (Spectre.Console): elapsed vs planned, sent/ok/rejected/failed, in flight and the
/// current rate. On a non-interactive console it prints one line every few seconds instead.
/// </summary>
internal sealed class LiveProgressDisplay
{
    private readonly IAnsiConsole _console;
    private readonly TimeProvider _time;
    private readonly TimeSpan _refresh;

    public LiveProgressDisplay(IAnsiConsole console, TimeProvider? time = null, TimeSpan? refresh = null)
    {
        _console = console;
        _time = time ?? TimeProvider.System;
        _refresh = refresh ?? TimeSpan.FromMilliseconds(500);
    }

    /// <summary>Runs <paramref name="run"/> while showing <paramref name="progress"/>; returns its result.</summary>
    public async Task<T> ShowAsync<T>(Func<LoadProgress> progress, Task<T> run)
    {
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(run);
        if (!_console.Profile.Capabilities.Interactive)
        {
            TimeSpan last = TimeSpan.Zero;
            while (!run.IsCompleted)
            {
                await Task.WhenAny(run, Task.Delay(_refresh, _time)).ConfigureAwait(false);
                LoadProgress p = progress();
                if (p.Elapsed - last >= TimeSpan.FromSeconds(5) || run.IsCompleted)
                {
                    last = p.Elapsed;
                    _console.WriteLine(Line(p, 0));
                }
            }

            return await run.ConfigureAwait(false);
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumns("stage", "elapsed", "sent", "ok", "rejected", "failed", "in flight", "rps now");
        string[] first = Row(progress(), 0);
        for (int i = 0; i < first.Length; i++)
        {
            first[i] = Markup.Escape(first[i]);
        }

        table.AddRow(first);
        await _console.Live(table).AutoClear(false).StartAsync(async ctx =>
        {
            long lastSent = 0;
            long lastTs = _time.GetTimestamp();
            while (!run.IsCompleted)
            {
                await Task.WhenAny(run, Task.Delay(_refresh, _time)).ConfigureAwait(false);
                LoadProgress p = progress();
                long now = _time.GetTimestamp();
                double rate = (p.Sent - lastSent) / Math.Max(1e-3, _time.GetElapsedTime(lastTs, now).TotalSeconds);
                lastSent = p.Sent;
                lastTs = now;
                table.Rows.Update(0, 0, new Markup(Markup.Escape(p.Label) + (p.WarmingUp ? " [yellow](warm-up)[/]" : string.Empty)));
                string[] cells = Row(p, rate);
                for (int i = 1; i < cells.Length; i++)
                {
                    table.Rows.Update(0, i, new Text(cells[i]));
                }

                ctx.Refresh();
            }
        }).ConfigureAwait(false);
        return await run.ConfigureAwait(false);
    }

    public static string Line(LoadProgress p, double rate) =>
        $"[{p.Label}] {p.Elapsed.TotalSeconds:0}s/{p.Planned.TotalSeconds:0}s{(p.WarmingUp ? " warm-up" : string.Empty)} sent={p.Sent} ok={p.Succeeded} rejected={p.Rejected} failed={p.Failed} in-flight={p.InFlight}{(rate > 0 ? $" rps={rate:0}" : string.Empty)}";

    private static string[] Row(LoadProgress p, double rate) =>
    [
        p.Label,
        $"{p.Elapsed.TotalSeconds:0.0}s / {p.Planned.TotalSeconds:0}s",
        Fmt.Int(p.Sent),
        Fmt.Int(p.Succeeded),
        Fmt.Int(p.Rejected),
        Fmt.Int(p.Failed),
        Fmt.Int(p.InFlight),
        Fmt.Rate(rate),
    ];
}
