namespace Sluice.Bench.Load;

/// <summary>
/// Arrival times of a non-homogeneous Poisson process following a profile, sampled by thinning
/// (Lewis–Shedler): candidates at the peak rate, each kept with probability rate(t)/peak.
/// </summary>
internal sealed class PoissonArrivals
{
    private readonly ILoadProfile _profile;
    private readonly Random _random;
    private readonly double _peak;
    private double _seconds;

    public PoissonArrivals(ILoadProfile profile, int seed)
    {
        _profile = profile;
        _random = new Random(seed);
        _peak = profile.PeakRate;
    }

    /// <summary>Seconds (since the profile started) of the next arrival.</summary>
    public double Next()
    {
        while (true)
        {
            double u = 1.0 - _random.NextDouble(); // (0, 1]
            _seconds += -Math.Log(u) / _peak;
            double rate = _profile.RateAt(TimeSpan.FromSeconds(_seconds));
            if (rate >= _peak || _random.NextDouble() * _peak < rate)
            {
                return _seconds;
            }
        }
    }
}
