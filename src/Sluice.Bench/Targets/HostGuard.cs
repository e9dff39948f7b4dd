using System.Net;

namespace Sluice.Bench.Targets;

/// <summary>The bench sends traffic only to loopback, or to hosts the user named explicitly (<c>--allow-host</c>).</summary>
internal static class HostGuard
{
    /// <summary>Whether <paramref name="uri"/> points at loopback (127.0.0.0/8, ::1, localhost).</summary>
    public static bool IsLoopback(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        string host = uri.IdnHost.Trim('[', ']');
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(host, out IPAddress? address) && IPAddress.IsLoopback(address);
    }

    /// <summary>Throws <see cref="BenchConfigurationException"/> unless the URI is loopback or its host is allowed.</summary>
    public static void EnsureAllowed(Uri uri, IReadOnlyCollection<string> allowedHosts)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new BenchConfigurationException($"'{uri}' is not an absolute http(s) URL.");
        }

        if (IsLoopback(uri))
        {
            return;
        }

        foreach (string allowed in allowedHosts)
        {
            if (string.Equals(allowed, uri.Host, StringComparison.OrdinalIgnoreCase)
                || string.Equals(allowed, uri.IdnHost, StringComparison.OrdinalIgnoreCase))
            {
                return;
            }
        }

        throw new BenchConfigurationException(
            $"Refusing to send load to '{uri.Host}': the bench only targets loopback unless you pass --allow-host {uri.Host}.");
    }
}
