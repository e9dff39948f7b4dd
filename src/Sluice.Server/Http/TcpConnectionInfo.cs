using System.Net.Sockets;
using Microsoft.AspNetCore.Connections.Features;

namespace Sluice.Server.Http;

/// <summary>
/// A streaming request's own TCP connection and what Linux knows of it (<c>struct tcp_info</c>, linux/tcp.h, read with
/// TCP_INFO): how far the client has acknowledged and read what the server sent. Only HTTP/1.x over TCP on Linux: an
/// HTTP/2 or HTTP/3 connection carries other requests (and HTTP/3 is QUIC), and other systems lay the struct out otherwise.
/// </summary>
internal static class TcpConnectionInfo
{
    /// <summary>IPPROTO_TCP, the level of the TCP socket options.</summary>
    public const int IpProtoTcp = 6;

    private const int TcpInfo = 11;

    // Offsets in struct tcp_info, native-endian: tcpi_unacked (__u32, segments sent and not acknowledged),
    // tcpi_bytes_acked and tcpi_bytes_received (__u64, Linux 4.1+), tcpi_notsent_bytes (__u32, 4.6+) and tcpi_snd_wnd
    // (__u32, 5.4+: the window the peer advertises, scaled).
    public const int UnackedOffset = 24;
    public const int BytesAckedOffset = 120;
    public const int BytesReceivedOffset = 128;
    public const int NotSentOffset = 144;
    public const int SendWindowOffset = 228;

    /// <summary>Bytes of <c>struct tcp_info</c> up to the last field read here.</summary>
    public const int Length = SendWindowOffset + sizeof(uint);

    /// <summary>The request's TCP socket where the kernel's view of it applies to this request alone; null elsewhere.</summary>
    public static Socket? SocketOf(HttpContext http)
    {
        var protocol = http.Request.Protocol;
        if (!OperatingSystem.IsLinux() || !(HttpProtocol.IsHttp11(protocol) || HttpProtocol.IsHttp10(protocol)))
        {
            return null;
        }

        var socket = http.Features.Get<IConnectionSocketFeature>()?.Socket;
        return socket is not null && socket.ProtocolType == ProtocolType.Tcp ? socket : null;
    }

    /// <summary>Reads the connection's <c>tcp_info</c> into <paramref name="info"/>: the bytes the kernel filled (older kernels fill fewer), or -1 when the socket is gone.</summary>
    public static int TryRead(Socket socket, Span<byte> info)
    {
        try
        {
            return socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return -1;
        }
    }
}
