using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;

namespace Sluice.Server.Tests.Hosting;

/// <summary>
/// Kestrel endpoints in configuration beside <c>--urls</c> (or the image's <c>ASPNETCORE_URLS</c>), or URLs beside
/// <c>ASPNETCORE_HTTP_PORTS</c>: the addresses that always won are bound, and the start logs no "Overriding" warning.
/// </summary>
public sealed class KestrelEndpointsTests
{
    [Fact]
    public async Task Start_UrlsAndKestrelEndpoints_BindsTheEndpointsWithoutOverrideWarning()
    {
        var urlsPort = FreePort();
        var endpointPort = FreePort();
        var logs = new RecordingLoggerProvider(LogLevel.Warning);
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string>
            {
                ["urls"] = $"http://127.0.0.1:{urlsPort}",
                ["Kestrel:Endpoints:A:Url"] = $"http://127.0.0.1:{endpointPort}",
            },
            configureServices: s => s.AddSingleton<ILoggerProvider>(logs));

        Assert.Equal(endpointPort, server.BaseAddress.Port);
        using var response = await server.Client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var client = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, urlsPort));
        Assert.DoesNotContain(logs.Warnings, w => w.Contains("Overriding", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_UrlsAndHttpPorts_BindsTheUrlsWithoutOverrideWarning()
    {
        // The container: our ASPNETCORE_URLS beside the base image's ASPNETCORE_HTTP_PORTS=8080.
        var portsPort = FreePort();
        var logs = new RecordingLoggerProvider(LogLevel.Warning);
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string> { ["http_ports"] = portsPort.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            configureServices: s => s.AddSingleton<ILoggerProvider>(logs));

        Assert.NotEqual(portsPort, server.BaseAddress.Port);
        using var response = await server.Client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var client = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, portsPort));
        Assert.DoesNotContain(logs.Warnings, w => w.Contains("Overriding", StringComparison.Ordinal));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
