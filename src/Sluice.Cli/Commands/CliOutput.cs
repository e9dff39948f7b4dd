using System.Text.Json;

namespace Sluice.Cli.Commands;

/// <summary>Prints server answers: JSON pretty-printed, problems as one readable line on stderr.</summary>
internal static class CliOutput
{
    private static readonly JsonSerializerOptions s_pretty = new() { WriteIndented = true };

    public static async Task<int> PrintAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"error {(int)response.StatusCode}: {Describe(body)}");
            return 1;
        }

        Console.WriteLine(Pretty(body));
        return 0;
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
