using System.Globalization;

namespace Sluice.Bench.Load;

/// <summary>The same rate all the time.</summary>
internal sealed class ConstantRateProfile : ILoadProfile
{
    public ConstantRateProfile(double rate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        Rate = rate;
    }

    public double Rate { get; }

    public string Description => string.Create(CultureInfo.InvariantCulture, $"constant {Rate:0.##}/s");

    public double PeakRate => Rate;

    public double RateAt(TimeSpan elapsed) => Rate;
}
