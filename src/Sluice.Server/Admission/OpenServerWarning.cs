using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Sluice.Core.Scheduling;

namespace Sluice.Server.Admission;

/// <summary>
/// Warns at start when the public API listens beyond loopback with no API keys: such a server is open to anyone
/// who can reach it (every job, every model), which the README allows on loopback only. The container image and
/// the deploy files listen on 0.0.0.0, where this used to go unmentioned. A warning, not a refusal: behind a
/// gateway or a network policy an open server can be intended.
/// </summary>
internal sealed partial class OpenServerWarning(
    IServer server,
    IHostApplicationLifetime lifetime,
    IOptions<AuthOptions> auth,
    IOptions<SchedulingOptions> scheduling,
    ILogger<OpenServerWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A worker has no public API; with keys the API is closed.
        if (scheduling.Value.ServesApi && auth.Value.Keys.Count == 0)
        {
            // The addresses are known once the server listens, after the hosted services started.
            lifetime.ApplicationStarted.Register(Check);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The addresses of <paramref name="addresses"/> that are not loopback ones (0.0.0.0, [::], *, a host name, a LAN address).</summary>
    internal static IReadOnlyList<string> BeyondLoopback(IEnumerable<string> addresses) =>
        addresses.Where(a => !IsLoopback(a)).ToList();

    private static bool IsLoopback(string address)
    {
        // BindingAddress parses the wildcard forms (http://+:80, http://*:80) that Uri does not.
        var host = BindingAddress.Parse(address).Host;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }

    private void Check()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var open = BeyondLoopback(addresses);
        if (open.Count > 0)
        {
            Log.Open(logger, string.Join(", ", open));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Listening on {Addresses} with no API keys: anyone who can reach this address may submit and read every job. Configure Sluice:Auth:Keys (see the README) unless something in front of Sluice authenticates callers")]
        public static partial void Open(ILogger logger, string addresses);
    }
}
