using System.Globalization;
using System.Text.RegularExpressions;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>
/// A strict checker of the OpenMetrics 1.0 text exposition (the parts the exporter writes): the ABNF of its lines
/// (no comments, no blank lines, <c># EOF</c> once and last, newline-terminated), metric families contiguous with their
/// metadata first, sample names that fit the family's type (<c>_total</c> for a counter; <c>_bucket</c>, <c>_count</c>,
/// <c>_sum</c> for a histogram), <c># UNIT</c> matching the name's suffix, label escaping, and histograms whose buckets
/// ascend to <c>+Inf</c>, count cumulatively and end at <c>_count</c>. Exemplars only on a counter's <c>_total</c> or a
/// bucket, at most 128 characters of labels, and their value inside their bucket. promtool reads only the text format
/// 0.0.4, so this is what the OpenMetrics output is held to.
/// </summary>
internal static partial class OpenMetricsGrammar
{
    private const string Name = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private const string LabelName = "[a-zA-Z_][a-zA-Z0-9_]*";
    private const string EscapedString = "(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*";
    private const string Labels = "\\{(?:" + LabelName + "=\"" + EscapedString + "\"(?:," + LabelName + "=\"" + EscapedString + "\")*)?\\}";
    private const string Number = "(?:[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Inf|NaN)";

    [GeneratedRegex("^(?<name>" + Name + ")(?<labels>" + Labels + ")? (?<value>" + Number + ")(?: (?<ts>" + Number + "))?(?: # (?<exlabels>" + Labels + ") (?<exvalue>" + Number + ")(?: (?<exts>" + Number + "))?)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex("^# (?<kind>TYPE|UNIT|HELP) (?<name>" + Name + ") (?<rest>.*)$")]
    private static partial Regex MetadataLine();

    [GeneratedRegex("^(?:" + EscapedString + ")$")]
    private static partial Regex EscapedText();

    [GeneratedRegex(LabelName + "=\"(?<value>" + EscapedString + ")\"")]
    private static partial Regex Label();

    private static readonly HashSet<string> s_types = ["counter", "gauge", "histogram", "gaugehistogram", "stateset", "info", "summary", "unknown"];

    /// <summary>Every violation found, each naming its line; empty when the exposition is valid.</summary>
    public static List<string> Check(string text)
    {
        var problems = new List<string>();
        if (!text.EndsWith("# EOF\n", StringComparison.Ordinal))
        {
            problems.Add("does not end with '# EOF' and a newline");
        }

        var lines = text.Split('\n');
        var seenFamilies = new HashSet<string>(StringComparer.Ordinal);
        string? family = null, type = null;
        var metadata = new HashSet<string>(StringComparer.Ordinal);
        var sampled = false;
        var histograms = new Dictionary<string, Histogram>(StringComparer.Ordinal);
        for (var n = 0; n < lines.Length - 1; n++)
        {
            var line = lines[n];
            var where = $"line {n + 1} '{line}'";
            if (line == "# EOF")
            {
                if (n != lines.Length - 2)
                {
                    problems.Add($"{where}: '# EOF' before the end");
                }

                continue;
            }

            if (line.Length == 0)
            {
                problems.Add($"{where}: blank line");
                continue;
            }

            if (line[0] == '#')
            {
                var m = MetadataLine().Match(line);
                if (!m.Success)
                {
                    problems.Add($"{where}: not a TYPE, UNIT or HELP line (OpenMetrics has no comments)");
                    continue;
                }

                var name = m.Groups["name"].Value;
                if (name != family)
                {
                    if (!seenFamilies.Add(name))
                    {
                        problems.Add($"{where}: family {name} is not contiguous");
                    }

                    (family, type, sampled) = (name, "unknown", false);
                    metadata.Clear();
                }

                var kind = m.Groups["kind"].Value;
                var rest = m.Groups["rest"].Value;
                if (sampled || !metadata.Add(kind))
                {
                    problems.Add($"{where}: {kind} repeated or after the family's samples");
                }

                switch (kind)
                {
                    case "TYPE" when !s_types.Contains(rest):
                        problems.Add($"{where}: unknown type '{rest}'");
                        break;
                    case "TYPE":
                        type = rest;
                        if (type == "counter" && name.EndsWith("_total", StringComparison.Ordinal))
                        {
                            problems.Add($"{where}: a counter family is named without _total");
                        }

                        break;
                    case "UNIT" when !name.EndsWith("_" + rest, StringComparison.Ordinal) || !Regex.IsMatch(rest, "^[a-zA-Z0-9_:]+$"):
                        problems.Add($"{where}: the family's name must end with its unit '_{rest}'");
                        break;
                    case "HELP" when !EscapedText().IsMatch(rest):
                        problems.Add($"{where}: badly escaped help text");
                        break;
                }

                continue;
            }

            var s = SampleLine().Match(line);
            if (!s.Success)
            {
                problems.Add($"{where}: not a sample line");
                continue;
            }

            var sample = s.Groups["name"].Value;
            var suffix = family is not null && sample.StartsWith(family, StringComparison.Ordinal) ? sample[family.Length..] : null;
            string[] allowed = type switch
            {
                "counter" => ["_total", "_created"],
                "histogram" => ["_bucket", "_count", "_sum", "_created"],
                _ => [""],
            };
            if (suffix is null || !allowed.Contains(suffix))
            {
                problems.Add($"{where}: sample {sample} does not belong to the {type} family {family}");
                continue;
            }

            sampled = true;
            var labels = s.Groups["labels"].Success ? ParseLabels(s.Groups["labels"].Value) : [];
            if (labels.Select(l => l.Key).Distinct(StringComparer.Ordinal).Count() != labels.Count)
            {
                problems.Add($"{where}: a label name repeated");
            }

            var value = ParseNumber(s.Groups["value"].Value);
            if (type == "counter" && suffix == "_total" && !(value >= 0))
            {
                problems.Add($"{where}: a counter below 0 or NaN");
            }

            double? exemplarValue = null;
            if (s.Groups["exlabels"].Success)
            {
                var exemplarLabels = s.Groups["exlabels"].Value;
                var length = ParseLabels(exemplarLabels).Sum(l => l.Key.Length + l.Value.Length);
                if (length > 128)
                {
                    problems.Add($"{where}: exemplar labels of {length} characters (at most 128)");
                }

                if (!(type == "counter" && suffix == "_total") && !(type == "histogram" && suffix == "_bucket"))
                {
                    problems.Add($"{where}: an exemplar on a {type} {suffix} sample");
                }

                exemplarValue = ParseNumber(s.Groups["exvalue"].Value);
            }

            if (type != "histogram")
            {
                continue;
            }

            var series = family + "{" + string.Join(',', labels.Where(l => l.Key != "le").Select(l => l.Key + "=" + l.Value)) + "}";
            var h = histograms.TryGetValue(series, out var existing) ? existing : histograms[series] = new Histogram();
            switch (suffix)
            {
                case "_bucket":
                    var le = labels.FirstOrDefault(l => l.Key == "le").Value;
                    if (le is null)
                    {
                        problems.Add($"{where}: a bucket without le");
                        break;
                    }

                    var bound = ParseNumber(le);
                    if (h.Infinity is not null || bound <= h.LastBound)
                    {
                        problems.Add($"{where}: buckets not in ascending order of le, or after +Inf");
                    }

                    if (value < h.LastCount)
                    {
                        problems.Add($"{where}: bucket count below the one before it");
                    }

                    if (exemplarValue is { } v && (v > bound || v <= h.LastBound))
                    {
                        problems.Add($"{where}: exemplar value {v} outside its bucket ({h.LastBound}, {bound}]");
                    }

                    (h.LastBound, h.LastCount) = (bound, value);
                    if (double.IsPositiveInfinity(bound))
                    {
                        h.Infinity = value;
                    }

                    break;
                case "_count":
                    if (h.Infinity is not { } inf || inf != value)
                    {
                        problems.Add($"{where}: _count is not the +Inf bucket's {h.Infinity}");
                    }

                    break;
            }
        }

        if (lines.Count(l => l == "# EOF") != 1)
        {
            problems.Add("'# EOF' is not there exactly once");
        }

        return problems;
    }

    private static List<KeyValuePair<string, string>> ParseLabels(string labels) =>
        [.. Label().Matches(labels).Select(m => new KeyValuePair<string, string>(m.Value[..m.Value.IndexOf('=')], m.Groups["value"].Value))];

    private static double ParseNumber(string text) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private sealed class Histogram
    {
        public double LastBound = double.NegativeInfinity;
        public double LastCount;
        public double? Infinity;
    }
}
