using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Sluice.Server.Http;

/// <summary>
/// Judges a WebSocket client alive by what its TCP connection shows (TCP_INFO), not by how soon a pong comes. A client
/// that reads slowly answers each ping only when its reads reach it, behind everything it has not read yet, so a pong
/// deadline dropped clients that were there and reading (500 to 4,000 B/s, within seconds), which SSE, judged by TCP
/// progress, keeps. Progress is the client sending anything (its pongs) or reading anything: the right edge of the
/// window it advertises (bytes it acknowledged plus that window) moves on only as its application takes data. A client
/// whose network vanished shows neither, and nor does one whose kernel (or a proxy's) still takes data while nothing
/// reads it, which acknowledgements alone would call alive.
/// </summary>
internal static class ClientProgressWatch
{
    /// <summary>
    /// The request's TCP socket when the kernel can say how its client progresses; null elsewhere (not Linux, a Unix
    /// socket, a kernel before 5.4, and HTTP/2, whose one connection carries other requests), where a ping left
    /// unanswered for a keep-alive interval still drops the client.
    /// </summary>
    public static Socket? TryGetSocket(HttpContext http)
    {
        var socket = TcpConnectionInfo.SocketOf(http);
        return socket is not null && TryRead(socket, stackalloc byte[TcpConnectionInfo.Length], out _, out _) ? socket : null;
    }

    /// <summary>
    /// Calls <paramref name="drop"/> once <paramref name="bound"/> passes with the client neither sending nor reading
    /// anything; returns then, when <paramref name="ct"/> is cancelled, or when the socket is gone.
    /// </summary>
    public static async Task WatchAsync(Socket socket, TimeSpan bound, Action drop, TimeProvider time, CancellationToken ct)
    {
        var info = new byte[TcpConnectionInfo.Length];
        if (!TryRead(socket, info, out var received, out var edge))
        {
            return;
        }

        var since = time.GetTimestamp();
        var tick = bound / 8;
        using var timer = new PeriodicTimer(tick < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : tick, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                if (!TryRead(socket, info, out var nowReceived, out var nowEdge))
                {
                    return;
                }

                if (nowReceived != received || nowEdge > edge)
                {
                    received = nowReceived;
                    edge = nowEdge > edge ? nowEdge : edge;
                    since = time.GetTimestamp();
                }
                else if (time.GetElapsedTime(since) >= bound)
                {
                    drop();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static bool TryRead(Socket socket, Span<byte> info, out ulong received, out ulong windowEdge)
    {
        received = 0;
        windowEdge = 0;
        // Gone (-1), or a kernel before 5.4 (no tcpi_snd_wnd).
        if (TcpConnectionInfo.TryRead(socket, info) < TcpConnectionInfo.Length)
        {
            return false;
        }

        received = MemoryMarshal.Read<ulong>(info[TcpConnectionInfo.BytesReceivedOffset..]);
        windowEdge = MemoryMarshal.Read<ulong>(info[TcpConnectionInfo.BytesAckedOffset..]) + MemoryMarshal.Read<uint>(info[TcpConnectionInfo.SendWindowOffset..]);
        return true;
    }
}
