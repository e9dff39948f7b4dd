using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sluice.Blog.Tests.Infrastructure;

using Sluice.Testing;

namespace Sluice.Blog.Tests.Pages;

/// <summary>The blog over real HTTPS on loopback (a throwaway self-signed certificate): every cookie it sets is Secure.</summary>
public sealed class HttpsCookieTests
{
    [Fact]
    public async Task Register_OverHttps_EveryCookieSecureAndHttpOnly()
    {
        using var folder = new TempFolder();
        var pfx = folder.File("cert.pfx");
        WriteSelfSigned(pfx, "test-password");
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere(), new Dictionary<string, string>
        {
            ["urls"] = "https://127.0.0.1:0",
            ["Kestrel:Certificates:Default:Path"] = pfx,
            ["Kestrel:Certificates:Default:Password"] = "test-password",
        });
        Assert.Equal("https", blog.BaseAddress.Scheme);
        using var handler = new HttpClientHandler
        {
            CookieContainer = new CookieContainer(),
            AllowAutoRedirect = false,
            // The test's own certificate, made above: nothing else is trusted this way.
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        };
        using var client = new BlogClient(new HttpClient(handler, disposeHandler: false) { BaseAddress = blog.BaseAddress });

        using var form = await client.Http.GetAsync("/register");
        using var response = await client.PostFormAsync("/register", "/register", ("username", "secure"), ("password", "correct horse battery"));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookies = form.Headers.GetValues("Set-Cookie").Concat(response.Headers.GetValues("Set-Cookie")).ToList();
        Assert.Contains(cookies, c => c.StartsWith("sluice_blog=", StringComparison.Ordinal));
        Assert.Contains(cookies, c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        Assert.All(cookies, c => Assert.Contains("; secure", c, StringComparison.OrdinalIgnoreCase));
        Assert.All(cookies, c => Assert.Contains("; httponly", c, StringComparison.OrdinalIgnoreCase));
    }

    private static void WriteSelfSigned(string path, string password)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
    }
}
