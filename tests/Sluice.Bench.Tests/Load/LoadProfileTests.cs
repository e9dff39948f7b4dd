using Sluice.Bench.Load;

namespace Sluice.Bench.Tests.Load;

public sealed class LoadProfileTests
{
    [Fact]
    public void RateAt_StepProfile_HoldsEachLevelThenTheLast()
    {
        var profile = new StepProfile([10, 50, 100], TimeSpan.FromSeconds(5));
        Assert.Equal(10, profile.RateAt(TimeSpan.FromSeconds(0)));
        Assert.Equal(10, profile.RateAt(TimeSpan.FromSeconds(4.9)));
        Assert.Equal(50, profile.RateAt(TimeSpan.FromSeconds(5)));
        Assert.Equal(100, profile.RateAt(TimeSpan.FromSeconds(14)));
        Assert.Equal(100, profile.RateAt(TimeSpan.FromSeconds(100)));
        Assert.Equal(100, profile.PeakRate);
    }

    [Fact]
    public void RateAt_RampProfile_IsLinearThenHeld()
    {
        var profile = new RampProfile(10, 110, TimeSpan.FromSeconds(10));
        Assert.Equal(10, profile.RateAt(TimeSpan.Zero), 6);
        Assert.Equal(60, profile.RateAt(TimeSpan.FromSeconds(5)), 6);
        Assert.Equal(110, profile.RateAt(TimeSpan.FromSeconds(30)), 6);
    }

    [Fact]
    public void RateAt_BurstProfile_BurstsInTheMiddleOfEachPeriod()
    {
        var profile = new BurstProfile(20, 200, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2));
        Assert.Equal(20, profile.RateAt(TimeSpan.FromSeconds(1)));
        Assert.Equal(200, profile.RateAt(TimeSpan.FromSeconds(4.5)));
        Assert.Equal(20, profile.RateAt(TimeSpan.FromSeconds(6.5)));
        Assert.Equal(200, profile.RateAt(TimeSpan.FromSeconds(14.5)));
    }

    [Fact]
    public void RateAt_TidalProfile_TroughAtNightPeakInTheEvening()
    {
        var profile = new TidalProfile(5, 100, TimeSpan.FromSeconds(240)); // 10 s per hour
        Assert.Equal(5, profile.RateAt(TimeSpan.FromSeconds(40)), 6);   // 04:00
        Assert.Equal(100, profile.RateAt(TimeSpan.FromSeconds(190)), 6); // 19:00
        Assert.True(profile.RateAt(TimeSpan.FromSeconds(120)) > profile.RateAt(TimeSpan.FromSeconds(130))); // lunch dip
        for (int s = 0; s < 240; s++)
        {
            Assert.InRange(profile.RateAt(TimeSpan.FromSeconds(s)), 5, 100);
        }
    }

    [Fact]
    public void Next_ConstantRate_MeanRateAndExponentialGaps()
    {
        var arrivals = new PoissonArrivals(new ConstantRateProfile(1000), seed: 5);
        double last = 0, t = 0;
        int n = 100_000, shortGaps = 0;
        for (int i = 0; i < n; i++)
        {
            t = arrivals.Next();
            if (t - last < 0.001)
            {
                shortGaps++;
            }

            last = t;
        }

        Assert.InRange(n / t, 980, 1020);
        // P(gap < mean) = 1 - 1/e ≈ 0.632 for exponential gaps.
        Assert.InRange(shortGaps / (double)n, 0.62, 0.645);
    }

    [Fact]
    public void Next_StepProfile_FollowsTheRateOfEachStep()
    {
        var arrivals = new PoissonArrivals(new StepProfile([100, 1000], TimeSpan.FromSeconds(10)), seed: 9);
        int first = 0, second = 0;
        while (true)
        {
            double t = arrivals.Next();
            if (t >= 20)
            {
                break;
            }

            if (t < 10)
            {
                first++;
            }
            else
            {
                second++;
            }
        }

        Assert.InRange(first, 900, 1100);
        Assert.InRange(second, 9600, 10400);
    }
}
