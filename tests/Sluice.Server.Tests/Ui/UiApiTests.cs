using System.Net;
using System.Net.Http.Headers;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Ui;

/// <summary>How the built-in page is served over real HTTP: where it lives, its security headers and revalidation.</summary>
public sealed class UiApiTests
{
    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    public async Task Root_GetOrHead_RedirectsToTheEssayPage(string method)
    {
        await using var server = await TestServer.StartAsync();
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/"));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/ui/essays", response.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData("/ui/essays", "text/html")]
    [InlineData("/ui/essays.js", "text/javascript")]
    [InlineData("/ui/essays.css", "text/css")]
    [InlineData("/ui/icon.svg", "image/svg+xml")]
    public async Task Asset_Get_ServedWithItsTypeStrictPolicyAndValidator(string path, string mediaType)
    {
        await using var server = await TestServer.StartAsync();

        using var response = await server.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Content.Headers.ContentLength > 100);
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.NotNull(response.Headers.ETag);
        Assert.True(response.Headers.CacheControl!.NoCache);
    }

    [Fact]
    public async Task EssayPage_IfNoneMatchCurrentTag_Answers304WithoutBody()
    {
        await using var server = await TestServer.StartAsync();
        using var first = await server.Client.GetAsync("/ui/essays");
        var tag = first.Headers.ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/ui/essays");
        request.Headers.IfNoneMatch.Add(tag);
        using var again = await server.Client.SendAsync(request);
        using var stale = new HttpRequestMessage(HttpMethod.Get, "/ui/essays");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"0000000000000000\""));
        using var changed = await server.Client.SendAsync(stale);

        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    [Theory]
    [InlineData("/ui/essays")]
    [InlineData("/ui/essays.js")]
    public async Task Asset_Head_AnswersTheHeadersOfGetWithoutBody(string path)
    {
        await using var server = await TestServer.StartAsync();
        using var get = await server.Client.GetAsync(path);

        using var response = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(get.Headers.ETag, response.Headers.ETag);
        Assert.Equal(get.Content.Headers.ContentLength, response.Content.Headers.ContentLength);
        Assert.NotEmpty(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task EssayPage_Get_LoadsOnlyItsOwnScriptAndStyles()
    {
        await using var server = await TestServer.StartAsync();

        var html = await server.Client.GetStringAsync("/ui/essays");

        // No inline script or style, which the policy would block: everything comes from /ui/.
        Assert.Contains("<script src=\"/ui/essays.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<style", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);
    }
}
