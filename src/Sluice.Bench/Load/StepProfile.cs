using System.Globalization;

namespace Sluice.Bench.Load;

/// <summary>A staircase: each rate in turn for <see cref="StepLength"/>, the last one held.</summary>
internal sealed class StepProfile : ILoadProfile
{
    private readonly double[] _rates;

    public StepProfile(IReadOnlyList<double> rates, TimeSpan stepLength)
    {
        ArgumentOutOfRangeException.ThrowIfZero(rates.Count);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(stepLength, TimeSpan.Zero);
        _rates = new double[rates.Count];
        for (int i = 0; i < rates.Count; i++)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rates[i]);
            _rates[i] = rates[i];
            PeakRate = Math.Max(PeakRate, rates[i]);
        }

        StepLength = stepLength;
    }

    public TimeSpan StepLength { get; }

    public IReadOnlyList<double> Rates => _rates;

    public string Description => string.Create(CultureInfo.InvariantCulture, $"step {string.Join("→", _rates)}/s every {StepLength.TotalSeconds:0.##}s");

    public double PeakRate { get; }

    public double RateAt(TimeSpan elapsed)
    {
        long step = (long)(Math.Max(0, elapsed.Ticks) / StepLength.Ticks);
        return _rates[(int)Math.Min(step, _rates.Length - 1)];
    }
}
