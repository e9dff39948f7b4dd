using Microsoft.Net.Http.Headers;

namespace Sluice.Server.Apis;

/// <summary>
/// Picks the exposition format of a <c>/metrics</c> scrape from its <c>Accept</c>: OpenMetrics 1.0 when the scraper
/// lists it (without a version, or version 1.0.0) at least as high as the text format, as Prometheus does when it
/// prefers OpenMetrics; the text format 0.0.4 otherwise, for curl, browsers and every other client.
/// </summary>
internal static class MetricsNegotiation
{
    private const string OpenMetricsType = "application/openmetrics-text";

    public static bool WantsOpenMetrics(IList<string>? accept)
    {
        if (accept is null || accept.Count == 0 || !MediaTypeHeaderValue.TryParseList(accept, out var types))
        {
            return false;
        }

        double openMetrics = 0, text = 0;
        foreach (var type in types)
        {
            var quality = type.Quality ?? 1;
            if (type.MediaType.Equals(OpenMetricsType, StringComparison.OrdinalIgnoreCase))
            {
                var version = NameValueHeaderValue.Find(type.Parameters, "version");
                if (version is not null && !version.Value.Equals("1.0.0", StringComparison.Ordinal))
                {
                    continue; // 0.0.1, the draft, is not what this exporter writes
                }

                openMetrics = Math.Max(openMetrics, quality);
            }
            else if (type.MediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase))
            {
                text = Math.Max(text, quality);
            }
        }

        return openMetrics > 0 && openMetrics >= text;
    }
}
