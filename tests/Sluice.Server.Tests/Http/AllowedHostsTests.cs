using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Http;

/// <summary>
/// AllowedHosts, the host's own Host-header filter that the README recommends for a server without keys: a web page
/// that rebinds its DNS name to 127.0.0.1 reaches the server as its own origin, with its own name in Host, and is
/// refused before any endpoint runs; the loopback names go through.
/// </summary>
public sealed class AllowedHostsTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(new Dictionary<string, string>
    {
        ["AllowedHosts"] = "localhost;127.0.0.1;[::1]",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("rebound.example", 400)]
    [InlineData("rebound.example:8080", 400)]
    [InlineData("127.0.0.1", 200)]
    [InlineData("localhost:8080", 200)]
    public async Task GetJobs_HostHeader_OnlyAllowedHostsServed(string host, int expected)
    {
        var (status, _, body) = await RawHttp.SendAsync(_server.BaseAddress, $"GET /v1/jobs HTTP/1.1\r\nHost: {host}\r\nConnection: close", [], TimeSpan.FromSeconds(30));

        Assert.Equal(expected, status);
        if (expected == 400)
        {
            // Nothing of the API: no job list reaches a page on another name.
            Assert.DoesNotContain("\"data\"", body, StringComparison.Ordinal);
        }
    }
}
