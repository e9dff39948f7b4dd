using System.Globalization;

namespace Sluice.Bench.Load;

/// <summary>Turns the command line's <c>--concurrency</c>, <c>--rate</c> and <c>--profile</c> into stages.</summary>
internal static class BenchStagePlanner
{
    public static IReadOnlyList<LoadOptions> Plan(LoadOptions common, string? concurrency, string? rates, string? profile, bool durationGiven)
    {
        ArgumentNullException.ThrowIfNull(common);
        int given = (concurrency is null ? 0 : 1) + (rates is null ? 0 : 1) + (profile is null ? 0 : 1);
        if (given > 1)
        {
            throw new BenchConfigurationException("Give one of --concurrency, --rate or --profile.");
        }

        var stages = new List<LoadOptions>();
        if (profile is not null)
        {
            ILoadProfile p = LoadSpecParser.ParseProfile(profile);
            TimeSpan duration = durationGiven ? common.Duration : NaturalLength(p) ?? common.Duration;
            stages.Add(common with { Label = profile.Split(':')[0], Mode = LoadMode.Open, Profile = p, Duration = duration });
        }
        else if (rates is not null)
        {
            foreach (double rate in LoadSpecParser.ParseList(rates, "--rate"))
            {
                stages.Add(common with
                {
                    Label = string.Create(CultureInfo.InvariantCulture, $"rate={rate:0.##}"),
                    Mode = LoadMode.Open,
                    Profile = new ConstantRateProfile(rate),
                });
            }
        }
        else
        {
            foreach (double c in LoadSpecParser.ParseList(concurrency ?? "10", "--concurrency"))
            {
                // Users are whole: 2.5 ran silently as 2 and 0.5 failed later as "got 0", neither what was typed.
                if (c != Math.Floor(c) || c > int.MaxValue)
                {
                    throw new BenchConfigurationException(string.Create(CultureInfo.InvariantCulture, $"--concurrency: '{c}' is not a whole number of users."));
                }

                int users = (int)c;
                stages.Add(common with { Label = string.Create(CultureInfo.InvariantCulture, $"c={users}"), Mode = LoadMode.Closed, Concurrency = users });
            }
        }

        return stages;
    }

    /// <summary>How long a profile naturally lasts (one pass of its shape), or null for open-ended ones.</summary>
    public static TimeSpan? NaturalLength(ILoadProfile profile) => profile switch
    {
        StepProfile s => s.StepLength * s.Rates.Count,
        RampProfile r => r.Length,
        BurstProfile b => b.Period * 3,
        TidalProfile t => t.DayLength,
        _ => null,
    };
}
