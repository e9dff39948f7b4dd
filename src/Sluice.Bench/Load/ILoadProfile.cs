namespace Sluice.Bench.Load;

/// <summary>An arrival rate that changes over time (open loop).</summary>
internal interface ILoadProfile
{
    /// <summary>Short description for reports ("constant 200/s").</summary>
    string Description { get; }

    /// <summary>Highest rate the profile ever asks for (used to sample arrivals by thinning).</summary>
    double PeakRate { get; }

    /// <summary>Requests per second wanted <paramref name="elapsed"/> after measuring started.</summary>
    double RateAt(TimeSpan elapsed);
}
