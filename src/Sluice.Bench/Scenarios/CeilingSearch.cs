using System.Globalization;
using Sluice.Bench.Load;
using Sluice.Bench.Targets;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// Finds the QPS ceiling: the highest offered (Poisson) rate at which P99 stays under the SLO and failures plus
/// rejections stay under 1%. Doubles the rate from a start until a probe fails, then probes once between the last
/// pass and the first failure (geometric mean), narrowing the bracket <c>bisections</c> times.
/// </summary>
internal sealed class CeilingSearch
{
    private readonly BenchSession _session;
    private readonly TimeSpan _warmup;
    private readonly TimeSpan _duration;
    private readonly int _maxDoublings;
    private readonly Func<CancellationToken, Task<bool>>? _drain;
    private readonly int _bisections;

    /// <param name="drain">Waits until the server has worked off an overloaded probe's backlog and says whether it did; null = wait one deadline.</param>
    public CeilingSearch(BenchSession session, TimeSpan warmup, TimeSpan duration, int maxDoublings = 10, Func<CancellationToken, Task<bool>>? drain = null, int bisections = 2)
    {
        _bisections = bisections;
        _drain = drain;
        _session = session;
        _warmup = warmup;
        _duration = duration;
        _maxDoublings = maxDoublings;
    }

    /// <summary>Whether a probe meets the SLO.</summary>
    public static bool Passes(StageResult s, double sloMs)
    {
        long attempts = s.Sent + s.ClientDropped;
        return attempts > 0 && s.Latency.P99Ms <= sloMs && (s.Failed + s.Rejected + s.ClientDropped) <= 0.01 * attempts;
    }

    public async Task<CeilingResult> FindAsync(string label, ILoadTarget target, double startRate, double sloMs, ProcessSampler? cpu, CancellationToken cancellationToken)
    {
        var probes = new List<CeilingProbe>();
        double rate = startRate;
        CeilingProbe? lastPass = null, firstFail = null;
        for (int k = 0; k <= _maxDoublings; k++)
        {
            CeilingProbe probe = await ProbeAsync(label, target, rate, sloMs, cpu, cancellationToken).ConfigureAwait(false);
            probes.Add(probe);
            if (probe.ServerStalled)
            {
                return new CeilingResult(lastPass, probes, false) { ServerStalled = true };
            }

            if (probe.Passed)
            {
                lastPass = probe;
                rate *= 2;
            }
            else
            {
                firstFail = probe;
                break;
            }
        }

        if (lastPass is null && firstFail is not null)
        {
            // Even the start rate failed: try a quarter of it once.
            CeilingProbe probe = await ProbeAsync(label, target, startRate / 4, sloMs, cpu, cancellationToken).ConfigureAwait(false);
            probes.Add(probe);
            lastPass = probe.Passed ? probe : null;
        }
        else if (lastPass is not null && firstFail is not null)
        {
            double failRate = firstFail.Rate;
            for (int step = 0; step < _bisections; step++)
            {
                double mid = Math.Sqrt(lastPass.Rate * failRate);
                CeilingProbe probe = await ProbeAsync(label, target, mid, sloMs, cpu, cancellationToken).ConfigureAwait(false);
                probes.Add(probe);
                if (probe.ServerStalled)
                {
                    return new CeilingResult(lastPass, probes, false) { ServerStalled = true };
                }

                if (probe.Passed)
                {
                    lastPass = probe;
                }
                else
                {
                    failRate = mid;
                }
            }
        }

        return new CeilingResult(lastPass, probes, firstFail is null);
    }

    public async Task<CeilingProbe> ProbeAsync(string label, ILoadTarget target, double rate, double sloMs, ProcessSampler? cpu, CancellationToken cancellationToken)
    {
        TimeSpan deadline = TimeSpan.FromMilliseconds(Math.Clamp(sloMs * 2, 1000, 30_000));
        cpu?.Mark();
        StageResult stage = await _session.RunStageAsync(target, new LoadOptions
        {
            Label = string.Create(CultureInfo.InvariantCulture, $"{label} {rate:0.#}/s"),
            Mode = LoadMode.Open,
            Profile = new ConstantRateProfile(rate),
            Warmup = _warmup,
            Duration = _duration,
            RequestDeadline = deadline,
            MaxInFlight = 4096,
            MaxBacklog = 20_000,
        }, cancellationToken).ConfigureAwait(false);
        double cpuUse = cpu?.CpuSinceMark() ?? 0;
        bool passed = Passes(stage, sloMs);
        if (!passed)
        {
            // Let an overloaded server work off its backlog before the next probe.
            if (_drain is null)
            {
                await Task.Delay(deadline, cancellationToken).ConfigureAwait(false);
            }
            else if (!await _drain(cancellationToken).ConfigureAwait(false))
            {
                return new CeilingProbe(rate, stage, passed, cpuUse) { ServerStalled = true };
            }
        }

        return new CeilingProbe(rate, stage, passed, cpuUse);
    }
}
