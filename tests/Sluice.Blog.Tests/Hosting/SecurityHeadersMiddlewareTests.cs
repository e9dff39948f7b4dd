using System.Net;
using Sluice.Blog.Tests.Infrastructure;

namespace Sluice.Blog.Tests.Hosting;

/// <summary>The security headers docs/blog.md promises, on pages, problems and refusals, over real HTTP.</summary>
public sealed class SecurityHeadersMiddlewareTests
{
    [Fact]
    public async Task Get_PageProblemAndRefusal_CarryCspNosniffAndReferrerPolicy()
    {
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere(), new Dictionary<string, string> { ["Blog:RateLimit:SignInPerAddress"] = "1" });
        using var client = blog.NewClient();

        using var home = await client.Http.GetAsync("/");
        using var missing = await client.Http.GetAsync("/no/such/page");
        using var first = await client.PostFormAsync("/login", "/login", ("username", "nobody"), ("password", "guess one"));
        using var refused = await client.PostFormAsync("/login", "/login", ("username", "nobody"), ("password", "guess two"));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        foreach (var response in new[] { home, missing, refused })
        {
            var csp = response.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("same-origin", response.Headers.GetValues("Referrer-Policy").Single());
        }
    }
}
