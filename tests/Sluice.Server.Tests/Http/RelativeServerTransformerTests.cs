using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Http;

/// <summary>The OpenAPI document served over real HTTP says nothing about the address it was reached at.</summary>
public sealed class RelativeServerTransformerTests
{
    [Fact]
    public async Task OpenApi_RequestWithForeignHost_DocumentNamesNoServer()
    {
        await using var server = await TestServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Host = "attacker.example:8443";

        using var response = await server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        response.EnsureSuccessStatusCode();
        Assert.DoesNotContain("attacker.example", text, StringComparison.Ordinal);
        Assert.DoesNotContain(server.BaseAddress.Authority, text, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(text);
        // Absent (or empty) servers is "/" in OpenAPI 3.1: wherever the document came from.
        Assert.True(!doc.RootElement.TryGetProperty("servers", out var servers) || servers.GetArrayLength() == 0, servers.ToString());
    }
}
