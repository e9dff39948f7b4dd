using System.Globalization;

namespace Sluice.Bench.Load;

/// <summary>A base rate with a burst of <see cref="BurstLength"/> in the middle of every <see cref="Period"/>.</summary>
internal sealed class BurstProfile : ILoadProfile
{
    public BurstProfile(double baseRate, double burstRate, TimeSpan period, TimeSpan burstLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(baseRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burstRate);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(burstLength, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(burstLength, period);
        BaseRate = baseRate;
        BurstRate = burstRate;
        Period = period;
        BurstLength = burstLength;
    }

    public double BaseRate { get; }

    public double BurstRate { get; }

    public TimeSpan Period { get; }

    public TimeSpan BurstLength { get; }

    public string Description => string.Create(
        CultureInfo.InvariantCulture,
        $"burst {BaseRate:0.##}/s with {BurstRate:0.##}/s for {BurstLength.TotalSeconds:0.##}s every {Period.TotalSeconds:0.##}s");

    public double PeakRate => Math.Max(BaseRate, BurstRate);

    public double RateAt(TimeSpan elapsed)
    {
        long inPeriod = Math.Max(0, elapsed.Ticks) % Period.Ticks;
        long burstStart = (Period.Ticks - BurstLength.Ticks) / 2;
        return inPeriod >= burstStart && inPeriod < burstStart + BurstLength.Ticks ? BurstRate : BaseRate;
    }
}
