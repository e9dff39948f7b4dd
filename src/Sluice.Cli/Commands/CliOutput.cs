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
            await result.InvocationConfiguration.Error.WriteLineAsync($"error {(int)response.StatusCode}: {Describe(response, body)}").ConfigureAwait(false);
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

    /// <summary>
    /// A success answer read as Sluice's JSON; anything else (an HTML page of another server at <c>--url</c>, a body
    /// without the expected members) is an <see cref="InvalidDataException"/> naming the URL, not a parser stack trace.
    /// </summary>
    public static JsonDocument ParseAnswer(HttpResponseMessage response, string body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            throw NotSluice(response);
        }
    }

    /// <summary>The error for an answer that is not what a Sluice server sends.</summary>
    public static InvalidDataException NotSluice(HttpResponseMessage response) => new(
        $"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode} with {response.Content.Headers.ContentType?.MediaType ?? "a body"} that is not a Sluice answer; is --url a Sluice server?");

    /// <summary>
    /// A refusal on one line: the problem's title, field and detail, or, when the body is not a problem (an empty 401,
    /// a proxy's HTML 502), the status's reason phrase with the body's first line only when it is plain text.
    /// </summary>
    public static string Describe(HttpResponseMessage response, string body) =>
        DescribeBody(response, body) + (response.StatusCode == System.Net.HttpStatusCode.Unauthorized ? AuthHint : "");

    /// <summary>
    /// Appended to a 401: the server's own detail speaks of HTTP headers, and the CLI sends the key only when given
    /// one by option or environment variable.
    /// </summary>
    public const string AuthHint = " (pass --api-key KEY or set SLUICE_API_KEY)";

    private static string DescribeBody(HttpResponseMessage response, string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var r = doc.RootElement;
            if (r.ValueKind == JsonValueKind.Object && (r.TryGetProperty("title", out _) || r.TryGetProperty("detail", out _)))
            {
                var title = Text(r, "title") ?? Reason(response);
                var detail = Text(r, "detail");
                var field = Text(r, "field");
                return $"{title}{(field is null ? "" : $" [{field}]")}{(detail is null ? "" : $": {detail}")}";
            }
        }
        catch (JsonException)
        {
            // Not JSON: described below.
        }

        // Markup or a multi-line page would spill over the terminal; a short plain-text line is worth keeping.
        var first = body.AsSpan().Trim();
        var newline = first.IndexOfAny('\r', '\n');
        if (newline >= 0)
        {
            first = first[..newline].TrimEnd();
        }

        var plain = response.Content.Headers.ContentType?.MediaType is null or "text/plain";
        return plain && first.Length is > 0 and <= 200 && first[0] != '<' ? $"{Reason(response)}: {first}" : Reason(response);
    }

    private static string? Text(JsonElement problem, string name) =>
        problem.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Reason(HttpResponseMessage response) =>
        string.IsNullOrWhiteSpace(response.ReasonPhrase) ? response.StatusCode.ToString() : response.ReasonPhrase;
}
