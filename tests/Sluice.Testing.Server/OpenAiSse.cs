using System.Text.Json;

namespace Sluice.Testing.Server;

/// <summary>Reads an OpenAI stream: every <c>data:</c> payload in order, up to and including <c>[DONE]</c>.</summary>
public static class OpenAiSse
{
    public static async Task<List<string>> ReadAllAsync(HttpResponseMessage response, CancellationToken ct = default)
    {
        var payloads = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                payloads.Add(line[6..]);
                if (line == "data: [DONE]")
                {
                    break;
                }
            }
        }

        return payloads;
    }

    /// <summary>The streamed text: chat deltas' content or completion chunks' text, concatenated.</summary>
    public static string Text(IEnumerable<string> payloads)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var p in payloads)
        {
            if (p == "[DONE]")
            {
                continue;
            }

            using var doc = JsonDocument.Parse(p);
            if (!doc.RootElement.TryGetProperty("choices", out var choices))
            {
                continue;
            }

            foreach (var c in choices.EnumerateArray())
            {
                if (c.TryGetProperty("delta", out var d) && d.TryGetProperty("content", out var content))
                {
                    sb.Append(content.GetString());
                }
                else if (c.TryGetProperty("text", out var t))
                {
                    sb.Append(t.GetString());
                }
            }
        }

        return sb.ToString();
    }
}
