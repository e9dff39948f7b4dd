namespace Sluice.Blog.Tests.Infrastructure;

/// <summary>Reads a Server-Sent Events stream block by block, as the draft page's script does.</summary>
internal static class SseEvents
{
    public static async IAsyncEnumerable<(string Event, string Data)> ReadAsync(Stream stream)
    {
        using var reader = new StreamReader(stream);
        var name = "message";
        var data = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    yield return (name, string.Join('\n', data));
                }

                name = "message";
                data.Clear();
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line["event:".Length..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Add(line["data:".Length..].TrimStart());
            }
        }
    }
}
