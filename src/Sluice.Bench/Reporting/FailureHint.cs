using System.Globalization;
using Sluice.Bench.Load;
using Sluice.Bench.Targets;

namespace Sluice.Bench.Reporting;

/// <summary>
/// When no request of a run succeeded, one line saying what went wrong most often and what to try: a run of
/// nothing but failures is a broken setup (no server, wrong model, bad input), not a measurement.
/// </summary>
internal static class FailureHint
{
    /// <summary>The hint, or null when at least one request succeeded (or none was sent).</summary>
    public static string? Describe(IReadOnlyList<StageSeries> series, TargetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(spec);
        long sent = 0;
        var failures = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (StageResult stage in series.SelectMany(s => s.Stages))
        {
            if (stage.Succeeded > 0)
            {
                return null;
            }

            sent += stage.Sent;
            foreach ((string status, long count) in stage.ByStatus)
            {
                failures[status] = failures.GetValueOrDefault(status) + count;
            }
        }

        if (sent == 0)
        {
            return null;
        }

        KeyValuePair<string, long> worst = failures.Count == 0 ? new("unknown", sent) : failures.MaxBy(kv => kv.Value);
        return string.Create(CultureInfo.InvariantCulture, $"no request succeeded; most common failure ({worst.Value} of {sent}): {Explain(worst.Key, spec)}");
    }

    private static string Explain(string status, TargetSpec spec)
    {
        bool sluice = spec.Kind != TargetKind.Http;
        return status switch
        {
            "connection_error" => $"could not connect to {spec.Url}; start the server with ./sluice serve or pass --url",
            "timeout" => "every request outlived --deadline; is the server overloaded or the deadline too short?",
            "404" when sluice => $"HTTP 404 from {spec.Url}: is model '{spec.Model}' served there? (./sluice models --url {spec.Url})",
            "400" or "422" when sluice => "HTTP " + status + ": the server refused the request as invalid; check --input (or --prompt/--max-tokens for chat)",
            "401" or "403" => "HTTP " + status + ": the server wants an API key",
            "job_failed" => "the jobs were accepted and then failed (./sluice jobs list --status failed, or --status dead_lettered for jobs that failed every attempt)",
            "job_expired" => "the jobs were accepted and then expired; is --deadline too short?",
            _ when int.TryParse(status, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) => $"HTTP {status} from {spec.Url}",
            _ => status,
        };
    }
}
