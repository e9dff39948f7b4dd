using System.Globalization;

namespace Sluice.Testing.Server;

/// <summary>Reads one sample from a Prometheus text exposition, as the tests scrape <c>/metrics</c>.</summary>
public static class PrometheusText
{
    /// <summary>
    /// The value of the first <paramref name="metric"/> sample whose labels contain every one of <paramref name="labels"/>
    /// (each written <c>name="value"</c>), as a whole number; 0 when there is none (a counter not yet incremented).
    /// </summary>
    public static long Counter(string text, string metric, params string[] labels) => (long)Value(text, metric, labels);

    /// <summary>As <see cref="Counter"/>, the value as it is (a histogram's <c>_sum</c>).</summary>
    public static double Value(string text, string metric, params string[] labels)
    {
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(metric + "{", StringComparison.Ordinal) || !HasAll(line, labels))
            {
                continue;
            }

            var value = line[(line.IndexOf('}', StringComparison.Ordinal) + 1)..].Trim().Split(' ')[0];
            return double.Parse(value, CultureInfo.InvariantCulture);
        }

        return 0;
    }

    /// <summary><see cref="Counter"/> read from the <c>/metrics</c> of the server behind <paramref name="client"/>.</summary>
    public static async Task<long> CounterAsync(HttpClient client, string metric, params string[] labels) =>
        Counter(await client.GetStringAsync("/metrics"), metric, labels);

    private static bool HasAll(string line, string[] labels)
    {
        foreach (var label in labels)
        {
            if (!line.Contains(label, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
