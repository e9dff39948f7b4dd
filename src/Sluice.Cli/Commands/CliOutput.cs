using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Cli.Commands;

/// <summary>Prints server answers: JSON pretty-printed, problems as one readable line on stderr.</summary>
internal static class CliOutput
{
    // Relaxed escaping, as the server writes: timestamps keep their '+' instead of '\u002B' (this is a terminal, not HTML).
    private static readonly JsonSerializerOptions s_pretty = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Prints the body (or the problem) to the invocation's output (or error); returns the exit code.</summary>
    public static async Task<int> PrintAsync(HttpResponseMessage response, ParseResult result, CancellationToken ct) =>
        await ReadAsync(response, result, ct).ConfigureAwait(false) is null ? 1 : 0;

    /// <summary>Like <see cref="PrintAsync"/>, returning the body that was printed, or null after a problem.</summary>
    public static async Task<string?> ReadAsync(HttpResponseMessage response, ParseResult result, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            await result.InvocationConfiguration.Error.WriteLineAsync($"error {(int)response.StatusCode}: {Describe(body)}").ConfigureAwait(false);
            return null;
        }

        await result.InvocationConfiguration.Output.WriteLineAsync(Pretty(body)).ConfigureAwait(false);
        return body;
    }

    public static string Pretty(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(doc.RootElement, s_pretty);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    public static string Describe(string problemJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(problemJson);
            var r = doc.RootElement;
            var title = r.TryGetProperty("title", out var t) ? t.GetString() : null;
            var detail = r.TryGetProperty("detail", out var d) ? d.GetString() : null;
            var field = r.TryGetProperty("field", out var f) ? f.GetString() : null;
            return $"{title}{(field is null ? "" : $" [{field}]")}: {detail}";
        }
        catch (JsonException)
        {
            return problemJson;
        }
    }
}
