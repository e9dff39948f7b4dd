using System.Globalization;

namespace Sluice.Bench.Load;

/// <summary>A straight line from one rate to another over <see cref="Length"/>, then held.</summary>
internal sealed class RampProfile : ILoadProfile
{
    public RampProfile(double from, double to, TimeSpan length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(from);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(to);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(length, TimeSpan.Zero);
        From = from;
        To = to;
        Length = length;
    }

    public double From { get; }

    public double To { get; }

    public TimeSpan Length { get; }

    public string Description => string.Create(CultureInfo.InvariantCulture, $"ramp {From:0.##}→{To:0.##}/s over {Length.TotalSeconds:0.##}s");

    public double PeakRate => Math.Max(From, To);

    public double RateAt(TimeSpan elapsed)
    {
        double x = Math.Clamp(elapsed.TotalSeconds / Length.TotalSeconds, 0, 1);
        return From + ((To - From) * x);
    }
}
