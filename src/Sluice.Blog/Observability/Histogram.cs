using System.Globalization;
using System.Text;

namespace Sluice.Blog.Observability;

/// <summary>A Prometheus histogram with fixed buckets in seconds; lock-free (one Interlocked add per observation).</summary>
internal sealed class Histogram(double[] bounds)
{
    private readonly long[] _counts = new long[bounds.Length + 1];
    private long _sumMicroseconds;

    public void Observe(double seconds)
    {
        var i = 0;
        while (i < bounds.Length && seconds > bounds[i])
        {
            i++;
        }

        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sumMicroseconds, (long)(seconds * 1_000_000));
    }

    public void Write(StringBuilder text, string name, string labels)
    {
        var sep = labels.Length == 0 ? "" : ",";
        long cumulative = 0;
        for (var i = 0; i < bounds.Length; i++)
        {
            cumulative += Volatile.Read(ref _counts[i]);
            text.Append(name).Append("_bucket{").Append(labels).Append(sep).Append("le=\"").Append(bounds[i].ToString(CultureInfo.InvariantCulture))
                .Append("\"} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        cumulative += Volatile.Read(ref _counts[^1]);
        text.Append(name).Append("_bucket{").Append(labels).Append(sep).Append("le=\"+Inf\"} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        var braces = labels.Length == 0 ? "" : "{" + labels + "}";
        text.Append(name).Append("_sum").Append(braces).Append(' ')
            .Append((Volatile.Read(ref _sumMicroseconds) / 1_000_000.0).ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append(name).Append("_count").Append(braces).Append(' ').Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
