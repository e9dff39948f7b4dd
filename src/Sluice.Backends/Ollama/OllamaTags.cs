using System.Text.Json;
using Sluice.Backends.Resilience;
using Sluice.Backends.Streaming;

namespace Sluice.Backends.Ollama;

/// <summary>Ollama's model list, <c>GET /api/tags</c>: used for discovery and health.</summary>
internal static class OllamaTags
{
    public static async Task<List<OllamaTag>> ListAsync(UpstreamClient upstream, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, upstream.Url("api/tags"));
        using var response = await upstream.SendAsync(message, idempotent: true, cancellationToken).ConfigureAwait(false);
        var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var tags = new List<OllamaTag>();
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.TryGetProperty("models", out var models) && models.ValueKind == JsonValueKind.Array)
            {
                foreach (var m in models.EnumerateArray())
                {
                    if (m.ValueKind == JsonValueKind.Object && m.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
                    {
                        var digest = m.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                        tags.Add(new OllamaTag(n.GetString()!, digest));
                    }
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw UpstreamJson.Malformed(upstream, "/api/tags", ex);
        }

        return tags;
    }

    /// <summary>Ollama treats <c>llama3</c> and <c>llama3:latest</c> as the same model.</summary>
    public static bool SameModel(string tag, string model) =>
        string.Equals(Normalize(tag), Normalize(model), StringComparison.Ordinal);

    /// <summary>A Sluice model name for an Ollama tag: <c>llama3.2:1b</c> → <c>llama3.2-1b</c>.</summary>
    public static string SluiceName(string tag)
    {
        var n = Normalize(tag).ToLowerInvariant();
        var chars = n.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-'))
            {
                chars[i] = '-';
            }
        }

        return new string(chars);
    }

    public static string Normalize(string name) => name.EndsWith(":latest", StringComparison.Ordinal) ? name[..^7] : name;
}
