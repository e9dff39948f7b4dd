using System.Globalization;
using System.Net;
using Sluice.Blog.Tests.Infrastructure;

namespace Sluice.Blog.Tests.Pages;

/// <summary>
/// The blog behind a reverse proxy (Blog:ForwardedHeaders), over real HTTP on loopback: X-Forwarded-For and
/// X-Forwarded-Proto count only from a configured proxy, here the test itself on 127.0.0.1.
/// </summary>
public sealed class ForwardedHeadersTests
{
    [Fact]
    public async Task Login_SpoofedForwardedForWithNoProxyConfigured_SameBucketAndCookiesNotSecure()
    {
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere(), Limits());
        using var first = Client(blog, "203.0.113.1", proto: "https");
        using var second = Client(blog, "203.0.113.2", proto: "https");

        using var form = await first.Http.GetAsync("/login");
        using var a = await first.PostFormAsync("/login", "/login", ("username", "nobody1"), ("password", "guess one"));
        using var b = await second.PostFormAsync("/login", "/login", ("username", "nobody2"), ("password", "guess two"));

        Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode);
        // A made-up X-Forwarded-For is no fresh budget: both count as the connection's address, 127.0.0.1.
        Assert.Equal(HttpStatusCode.TooManyRequests, b.StatusCode);
        Assert.All(form.Headers.GetValues("Set-Cookie"), c => Assert.DoesNotContain("; secure", c, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Login_KnownProxyForwardsTwoClients_SeparateBuckets()
    {
        var settings = Limits();
        settings["Blog:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere(), settings);
        using var first = Client(blog, "203.0.113.1");
        using var second = Client(blog, "203.0.113.2");

        using var a = await first.PostFormAsync("/login", "/login", ("username", "nobody1"), ("password", "guess one"));
        using var b = await second.PostFormAsync("/login", "/login", ("username", "nobody2"), ("password", "guess two"));
        using var again = await first.PostFormAsync("/login", "/login", ("username", "nobody3"), ("password", "guess three"));

        Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, b.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
    }

    [Fact]
    public async Task Login_ClientWritesAddressesInFront_CountedByTheOneTheProxyAdded()
    {
        var settings = Limits();
        settings["Blog:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere(), settings);
        // The proxy appends the address it saw; what the client sent before it is the client's own word.
        using var first = Client(blog, "198.51.100.7, 203.0.113.1");
        using var second = Client(blog, "198.51.100.8, 203.0.113.1");

        using var a = await first.PostFormAsync("/login", "/login", ("username", "nobody1"), ("password", "guess one"));
        using var b = await second.PostFormAsync("/login", "/login", ("username", "nobody2"), ("password", "guess two"));

        Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, b.StatusCode);
    }

    [Fact]
    public async Task Login_KnownProxySendsGarbledForwardedFor_FormAnswerCountedAsTheProxy()
    {
        var settings = Limits();
        settings["Blog:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere(), settings);
        using var first = Client(blog, "not-an-address");
        using var second = Client(blog, "999.1.2.3");

        using var a = await first.PostFormAsync("/login", "/login", ("username", "nobody1"), ("password", "guess one"));
        using var b = await second.PostFormAsync("/login", "/login", ("username", "nobody2"), ("password", "guess two"));

        // No 500, and no fresh budget per garbled value: both stay on the proxy's own address.
        Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, b.StatusCode);
    }

    [Fact]
    public async Task Register_KnownNetworkForwardsHttps_EveryCookieSecure()
    {
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere(), new Dictionary<string, string>
        {
            ["Blog:ForwardedHeaders:KnownNetworks:0"] = "127.0.0.0/8",
        });
        // No cookie jar: it would not send a Secure cookie back over the test's plain HTTP, as the proxy would over HTTPS.
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = blog.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.1");
        http.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");

        using var form = await http.GetAsync("/register");
        var formCookies = form.Headers.GetValues("Set-Cookie").ToList();
        var token = WebUtility.HtmlDecode(BlogServer.TokenPattern().Match(await form.Content.ReadAsStringAsync()).Groups[1].Value);
        using var post = new HttpRequestMessage(HttpMethod.Post, "/register")
        {
            Content = new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("username", "proxied"), new("password", "correct horse battery")]),
        };
        post.Headers.Add("Cookie", string.Join("; ", formCookies.Select(c => c[..c.IndexOf(';', StringComparison.Ordinal)])));
        using var response = await http.SendAsync(post);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookies = formCookies.Concat(response.Headers.GetValues("Set-Cookie")).ToList();
        Assert.Contains(cookies, c => c.StartsWith("sluice_blog=", StringComparison.Ordinal));
        Assert.Contains(cookies, c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        Assert.All(cookies, c => Assert.Contains("; secure", c, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A browser-like client whose every request carries the headers a proxy in front of the blog would add.</summary>
    private static BlogClient Client(BlogServer blog, string forwardedFor, string? proto = null)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = blog.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        if (proto is not null)
        {
            http.DefaultRequestHeaders.Add("X-Forwarded-Proto", proto);
        }

        return new BlogClient(http);
    }

    private static Dictionary<string, string> Limits() => new()
    {
        ["Blog:RateLimit:WindowSeconds"] = "3600",
        ["Blog:RateLimit:SignInPerAddress"] = 1.ToString(CultureInfo.InvariantCulture),
    };
}
