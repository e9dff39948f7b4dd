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
}
