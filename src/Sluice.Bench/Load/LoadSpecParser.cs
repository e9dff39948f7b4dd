using System.Globalization;

namespace Sluice.Bench.Load;

/// <summary>Parses the command line's load settings: durations, lists, and profile specs.</summary>
internal static class LoadSpecParser
{
    /// <summary>"250ms", "10s", "2m", "1h" or a bare number of seconds; errors name <paramref name="option"/> when given.</summary>
    public static TimeSpan ParseDuration(string text, string? option = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToLowerInvariant();
        (string number, double scale) = t switch
        {
            _ when t.EndsWith("ms", StringComparison.Ordinal) => (t[..^2], 0.001),
            _ when t.EndsWith('s') => (t[..^1], 1.0),
            _ when t.EndsWith('m') => (t[..^1], 60.0),
            _ when t.EndsWith('h') => (t[..^1], 3600.0),
            _ => (t, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < 0 || !double.IsFinite(value))
        {
            throw new BenchConfigurationException($"{(option is null ? "" : option + ": ")}'{text}' is not a duration (e.g. 500ms, 10s, 2m).");
        }

        return TimeSpan.FromSeconds(value * scale);
    }

    /// <summary>"1,5,10,20" → [1, 5, 10, 20]; errors name <paramref name="option"/> when given.</summary>
    public static IReadOnlyList<double> ParseList(string text, string? option = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        string prefix = option is null ? "" : option + ": ";
        var values = new List<double>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v <= 0 || !double.IsFinite(v))
            {
                throw new BenchConfigurationException(part == text.Trim()
                    ? $"{prefix}'{part}' is not a positive number."
                    : $"{prefix}'{part}' in '{text}' is not a positive number.");
            }

            values.Add(v);
        }

        if (values.Count == 0)
        {
            throw new BenchConfigurationException($"{prefix}'{text}' lists no values.");
        }

        return values;
    }

    /// <summary>
    /// Parses a profile: <c>constant:200</c>, <c>step:10,50,100@10s</c> (each rate for 10 s), <c>ramp:10-200@30s</c>,
    /// <c>burst:50,500@20s/3s</c> (base 50/s, 500/s for 3 s every 20 s), <c>tidal:5-100@120s</c> (one day in 120 s).
    /// </summary>
    public static ILoadProfile ParseProfile(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            throw new BenchConfigurationException($"'{text}' is not a profile (e.g. step:10,50,100@10s, ramp:10-200@30s, burst:50,500@20s/3s, tidal:5-100@120s).");
        }

        string kind = text[..colon].Trim().ToLowerInvariant();
        string rest = text[(colon + 1)..].Trim();
        string? at = null;
        int atIndex = rest.IndexOf('@', StringComparison.Ordinal);
        if (atIndex >= 0)
        {
            at = rest[(atIndex + 1)..];
            rest = rest[..atIndex];
        }

        try
        {
            switch (kind)
            {
                case "constant":
                    return new ConstantRateProfile(ParseList(rest)[0]);
                case "step":
                    return new StepProfile(ParseList(rest), ParseDuration(Require(at, text)));
                case "ramp":
                {
                    (double from, double to) = Pair(rest, text);
                    return new RampProfile(from, to, ParseDuration(Require(at, text)));
                }

                case "burst":
                {
                    IReadOnlyList<double> rates = ParseList(rest);
                    string[] times = Require(at, text).Split('/');
                    if (rates.Count != 2 || times.Length != 2)
                    {
                        throw new BenchConfigurationException($"'{text}': burst needs base,peak@period/length.");
                    }

                    return new BurstProfile(rates[0], rates[1], ParseDuration(times[0]), ParseDuration(times[1]));
                }

                case "tidal":
                {
                    (double trough, double peak) = Pair(rest, text);
                    return new TidalProfile(trough, peak, ParseDuration(Require(at, text)));
                }

                default:
                    throw new BenchConfigurationException($"Unknown profile '{kind}' (constant, step, ramp, burst, tidal).");
            }
        }
        catch (ArgumentException e)
        {
            throw new BenchConfigurationException($"'{text}': {e.Message}", e);
        }
    }

    private static string Require(string? at, string text) =>
        at ?? throw new BenchConfigurationException($"'{text}' needs a time after '@'.");

    private static (double A, double B) Pair(string rest, string text)
    {
        string[] parts = rest.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length != 2)
        {
            throw new BenchConfigurationException($"'{text}' needs FROM-TO.");
        }

        return (ParseList(parts[0])[0], ParseList(parts[1])[0]);
    }
}
