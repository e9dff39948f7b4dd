using System.Net;
using System.Net.Sockets;

namespace Sluice.Blog.Security;

/// <summary>The key a client's attempts are counted under: its address, or its /64 for IPv6.</summary>
internal static class ClientAddress
{
    public static string Key(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        // One IPv6 host usually holds a whole /64: counting each address apart would give it 2^64 budgets.
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString();
    }
}
