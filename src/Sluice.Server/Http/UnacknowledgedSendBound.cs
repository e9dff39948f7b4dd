using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Sluice.Server.Http;

/// <summary>
/// Bounds how long a Server-Sent-Events response's data may stay unacknowledged by its client (TCP_USER_TIMEOUT,
/// RFC 5482): two keep-alive intervals, about what a WebSocket client gets (<see cref="ClientProgressWatch"/>). An SSE client never sends
/// anything, so one that vanished without closing its connection (a dropped network, a suspended laptop) was noticed
/// only when Linux gave up retransmitting (about 15 minutes, <c>net.ipv4.tcp_retries2</c>). With the bound the kernel
/// aborts the connection, which ends the stream (and with <c>cancel_on_disconnect</c>, the job). Linux applies it to
/// a receive window that stays shut too (a client that stopped reading), though its zero-window probes are answered.
/// </summary>
/// <remarks>
/// Set per streaming response, not on every connection: a plain request or a download has no keep-alives, and the
/// bound is derived from the stream's keep-alive interval. It is cleared when the stream ends, as an HTTP/1.1
/// connection goes on to serve other requests, unless the client has not yet acknowledged all of it: a client that
/// stopped reading a generation short enough to end first then held its connection (and the kernel its unsent bytes)
/// until Kestrel's keep-alive timeout, 130 s, rather than the two intervals. A no-op where it cannot apply: not Linux,
/// a Unix socket, and HTTP/2 or HTTP/3, whose one connection carries other requests (one stream ending would clear the
/// bound under another; an HTTP/3 connection is QUIC, not a TCP socket). HTTP/2 connections get Kestrel's keep-alive
/// pings instead (set from the same interval in <c>AddSluiceServer</c>); elsewhere a vanished client is noticed when
/// TCP gives up, as before.
/// </remarks>
internal static class UnacknowledgedSendBound
{
    // TCP_USER_TIMEOUT (linux/tcp.h); the value is in milliseconds, 0 for the system default.
    private const int TcpUserTimeout = 18;

    /// <summary>Sets the bound on the request's connection; returns the socket to <see cref="Clear"/>, or null where it does not apply.</summary>
    public static Socket? Apply(HttpContext http, TimeSpan keepAlive)
    {
        if (TcpConnectionInfo.SocketOf(http) is not { } socket)
        {
            return null;
        }

        var ms = keepAlive.TotalMilliseconds * 2;
        return TrySet(socket, ms >= int.MaxValue ? int.MaxValue : (int)ms) ? socket : null;
    }

    /// <summary>
    /// Back to the system default, for the requests that follow on the connection; kept while the client has not
    /// acknowledged everything sent, so one that stopped reading is still dropped within the bound. A client that reads
    /// on keeps the connection, with the bound on its later responses too.
    /// </summary>
    public static void Clear(Socket? socket)
    {
        if (socket is not null && !HasUnacknowledgedData(socket))
        {
            TrySet(socket, 0);
        }
    }

    private static bool HasUnacknowledgedData(Socket socket)
    {
        // Gone (-1), or the kernel does not say: cleared as before.
        Span<byte> info = stackalloc byte[TcpConnectionInfo.NotSentOffset + sizeof(uint)];
        var length = TcpConnectionInfo.TryRead(socket, info);
        return (length >= TcpConnectionInfo.UnackedOffset + sizeof(uint) && MemoryMarshal.Read<uint>(info[TcpConnectionInfo.UnackedOffset..]) > 0)
            || (length >= TcpConnectionInfo.NotSentOffset + sizeof(uint) && MemoryMarshal.Read<uint>(info[TcpConnectionInfo.NotSentOffset..]) > 0);
    }

    private static bool TrySet(Socket socket, int ms)
    {
        try
        {
            Span<byte> value = stackalloc byte[sizeof(int)];
            BitConverter.TryWriteBytes(value, ms);
            socket.SetRawSocketOption(TcpConnectionInfo.IpProtoTcp, TcpUserTimeout, value);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The connection is already gone (or the kernel refuses the option): the stream ends on its own.
            return false;
        }
    }
}
