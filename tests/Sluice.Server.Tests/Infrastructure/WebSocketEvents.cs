using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>Reads a job's events from its WebSocket until the server closes it.</summary>
internal static class WebSocketEvents
{
    /// <summary>The event types in the order they arrived; answers the server's close.</summary>
    public static async Task<string[]> ReadTypesAsync(ClientWebSocket ws, CancellationToken ct)
    {
        var types = new List<string>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, ct);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);
                return [.. types];
            }

            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(buffer, 0, r.Count));
            types.Add(doc.RootElement.GetProperty("event").GetString()!);
        }
    }
}
