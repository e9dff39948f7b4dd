using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Sluice.Backends.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Backends.Tests.Health;

/// <summary>
/// <c>/health/ready</c> is anonymous: its <c>backends</c> entry gave each unavailable backend's last error, whose text
/// (an HttpRequestException's) names the upstream's host and port. The authenticated <c>GET /v1/models</c> keeps it.
/// </summary>
public sealed class BackendsReadinessTests
{
    [Fact]
    public async Task Ready_BackendUnreachable_StateWithoutTheUpstreamAddress()
    {
        var port = ClosedPort();
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", $"http://127.0.0.1:{port}/v1",
            ("MaxRetries", 0), ("HealthProbeIntervalSeconds", 1)));
        await Jobs.WaitHealthAsync(server, "remote", "unhealthy", TimeSpan.FromSeconds(30));

        using var ready = await server.Client.GetAsync("/health/ready");
        var body = await ready.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.DoesNotContain(port.ToString(CultureInfo.InvariantCulture), body, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
        var backends = (await SluiceServer.ReadJsonAsync(ready)).GetProperty("checks").GetProperty("backends");
        Assert.Equal("degraded", backends.GetProperty("status").GetString());
        Assert.Equal("unhealthy", backends.GetProperty("remote").GetString());
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
