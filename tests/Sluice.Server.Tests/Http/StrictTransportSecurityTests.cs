using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Http;

/// <summary>
/// HSTS over real TLS on loopback: answers over HTTPS carry Strict-Transport-Security, answers over plain HTTP and
/// answers for a loopback name never do.
/// </summary>
public sealed class StrictTransportSecurityTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sluice-tls-").FullName;
    private TestServer _server = null!;
    private Uri _https = null!;
    private Uri _http = null!;

    public async Task InitializeAsync()
    {
        var certificate = Path.Combine(_folder, "server.pfx");
        using (var key = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=sluice.example", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllBytesAsync(certificate, cert.Export(X509ContentType.Pfx, "test"));
        }

        _server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Kestrel:Endpoints:Plain:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:Tls:Url"] = "https://127.0.0.1:0",
            ["Kestrel:Endpoints:Tls:Certificate:Path"] = certificate,
            ["Kestrel:Endpoints:Tls:Certificate:Password"] = "test",
        });
        var addresses = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        _https = new Uri(addresses.Single(a => a.StartsWith("https:", StringComparison.Ordinal)));
        _http = new Uri(addresses.Single(a => a.StartsWith("http:", StringComparison.Ordinal)));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData("/v1/models")]
    [InlineData("/no/such/route")]
    [InlineData("/ui/essays")]
    public async Task Answer_OverHttps_CarriesHsts(string path)
    {
        using var response = await SendAsync(_https, path, "sluice.example");

        Assert.Equal("max-age=31536000", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
    }

    [Theory]
    [InlineData("sluice.example")]
    [InlineData("127.0.0.1")]
    public async Task Answer_OverPlainHttp_NoHsts(string host)
    {
        using var response = await SendAsync(_http, "/v1/models", host);

        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    public async Task Answer_OverHttpsForALoopbackName_NoHsts(string host)
    {
        using var response = await SendAsync(_https, "/v1/models", host);

        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    private static async Task<HttpResponseMessage> SendAsync(Uri server, string path, string host)
    {
        // The test's own self-signed certificate.
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = static (_, _, _, _) => true };
        using var client = new HttpClient(handler) { BaseAddress = server };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode || (int)response.StatusCode == 404, $"{(int)response.StatusCode}");
        return response;
    }
}
