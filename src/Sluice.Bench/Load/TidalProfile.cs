using System.Globalization;

namespace Sluice.Bench.Load;

/// <summary>
/// A day of traffic compressed into <see cref="DayLength"/>: a night trough, a morning climb, a midday plateau with a
/// lunch dip, the evening peak and the decline (piecewise linear through hourly anchor points).
/// </summary>
internal sealed class TidalProfile : ILoadProfile
{
    // (hour of day, fraction of the peak) anchors; linear between them.
    private static readonly double[] s_hours = [0, 4, 7, 9, 12, 13, 15, 19, 21, 23, 24];
    private static readonly double[] s_levels = [0.15, 0.05, 0.30, 0.75, 0.85, 0.70, 0.85, 1.00, 0.80, 0.30, 0.15];

    public TidalProfile(double troughRate, double peakRate, TimeSpan dayLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(troughRate);
        ArgumentOutOfRangeException.ThrowIfLessThan(peakRate, troughRate);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(dayLength, TimeSpan.Zero);
        TroughRate = troughRate;
        PeakRate = peakRate;
        DayLength = dayLength;
    }

    public double TroughRate { get; }

    public double PeakRate { get; }

    public TimeSpan DayLength { get; }

    public string Description => string.Create(
        CultureInfo.InvariantCulture,
        $"tidal {TroughRate:0.##}→{PeakRate:0.##}/s, one day in {DayLength.TotalSeconds:0.##}s");

    /// <summary>Fraction of the way from trough to peak at <paramref name="hour"/> (0..24).</summary>
    public static double ShapeAt(double hour)
    {
        hour = Math.Clamp(hour, 0, 24);
        for (int i = 1; i < s_hours.Length; i++)
        {
            if (hour <= s_hours[i])
            {
                double x = (hour - s_hours[i - 1]) / (s_hours[i] - s_hours[i - 1]);
                return s_levels[i - 1] + ((s_levels[i] - s_levels[i - 1]) * x);
            }
        }

        return s_levels[^1];
    }

    public double RateAt(TimeSpan elapsed)
    {
        double hour = (Math.Max(0, elapsed.Ticks) % DayLength.Ticks) * 24.0 / DayLength.Ticks;
        double shape = (ShapeAt(hour) - 0.05) / 0.95; // 0 at the trough, 1 at the peak
        return TroughRate + ((PeakRate - TroughRate) * shape);
    }
}
