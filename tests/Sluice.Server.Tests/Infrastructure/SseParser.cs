using System.Globalization;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>A strict little SSE reader for tests (id/event/data fields, comments ignored).</summary>
internal static class SseParser
{
    public static async Task<List<(long Id, string Event, string Data)>> ReadAllAsync(Stream stream, CancellationToken ct, Action<(long Id, string Event, string Data)>? onEvent = null)
    {
        var events = new List<(long, string, string)>();
        using var reader = new StreamReader(stream);
        long id = 0;
        string? type = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (type is not null)
                {
                    var e = (id, type, string.Join('\n', data));
                    events.Add(e);
                    onEvent?.Invoke(e);
                }

                type = null;
                data.Clear();
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = long.Parse(line.AsSpan(4), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Add(line[6..]);
            }
        }

        return events;
    }
}
