using System.Text.Json;
using Sluice.Bench.Targets;

namespace Sluice.Bench.Scenarios;

/// <summary>Asks a running server which models it serves (<c>GET /v1/models</c>).</summary>
internal static class ServerModels
{
    public static async Task<IReadOnlySet<string>> ListAsync(Uri baseUri, CancellationToken cancellationToken)
    {
        using HttpClient client = BenchHttp.CreateClient();
        using HttpResponseMessage response = await client.GetAsync(new Uri(baseUri, "/v1/models"), cancellationToken).ConfigureAwait(false);
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (!response.IsSuccessStatusCode)
        {
            return names;
        }

        using JsonDocument doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
        if (doc.RootElement.TryGetProperty("data", out JsonElement data) && data.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement model in data.EnumerateArray())
            {
                if (model.TryGetProperty("id", out JsonElement id) && id.GetString() is { } name)
                {
                    names.Add(name);
                }
            }
        }

        return names;
    }

    /// <summary>
    /// Waits until <paramref name="model"/> has nothing queued or in flight (from <c>GET /v1/models</c>), so an
    /// overloaded probe's leftovers do not spill into the next one. Returns false when it is still busy at the timeout.
    /// </summary>
    public static async Task<bool> WaitIdleAsync(Uri baseUri, string model, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using HttpClient client = BenchHttp.CreateClient();
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        while (System.Diagnostics.Stopwatch.GetElapsedTime(start) < timeout)
        {
            using (HttpResponseMessage response = await client.GetAsync(new Uri(baseUri, "/v1/models"), cancellationToken).ConfigureAwait(false))
            {
                if (!response.IsSuccessStatusCode)
                {
                    return false;
                }

                using JsonDocument doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
                foreach (JsonElement m in doc.RootElement.GetProperty("data").EnumerateArray())
                {
                    if (m.TryGetProperty("id", out JsonElement id) && id.GetString() == model
                        && m.TryGetProperty("queue", out JsonElement queue)
                        && queue.TryGetProperty("total", out JsonElement total) && total.GetInt64() == 0
                        && queue.TryGetProperty("in_flight", out JsonElement inFlight) && inFlight.GetInt64() == 0)
                    {
                        return true;
                    }
                }
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        return false;
    }
}
