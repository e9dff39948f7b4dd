using System.Globalization;
using System.Net;
using Sluice.Blog.Tests.Infrastructure;

namespace Sluice.Blog.Tests.Pages;

/// <summary>Sign-in and registration limits (Blog:RateLimit) over real HTTP against a blog on loopback, with small limits.</summary>
public sealed class AccountRateLimitTests
{
    [Fact]
    public async Task Login_OverPerAddressLimit_429FormWithRetryAfterAndNameKept()
    {
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere(), Limits(signInPerAddress: 2));
        using var client = blog.NewClient();

        using var first = await client.PostFormAsync("/login", "/login", ("username", "nobody1"), ("password", "guess one"));
        using var second = await client.PostFormAsync("/login", "/login", ("username", "nobody2"), ("password", "guess two"));
        using var third = await client.PostFormAsync("/login", "/login", ("username", "nobody3"), ("password", "guess three"));

        Assert.Equal(HttpStatusCode.BadRequest, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.InRange(RetryAfter(third), 1, 3600);
        var html = await third.Content.ReadAsStringAsync();
        Assert.Contains("id=\"password-error\">Too many sign-in attempts; try again in ", html, StringComparison.Ordinal);
        Assert.Contains("value=\"nobody3\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_OverPerUserLimit_429ForThatNameInAnyCaseOnly()
    {
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere(), Limits(signInPerUser: 2));
        using (var victim = blog.NewClient())
        {
            await victim.RegisterAsync("victim");
        }

        using var guesser = blog.NewClient();
        using var first = await guesser.PostFormAsync("/login", "/login", ("username", "victim"), ("password", "guess one"));
        using var second = await guesser.PostFormAsync("/login", "/login", ("username", "victim"), ("password", "guess two"));
        using var third = await guesser.PostFormAsync("/login", "/login", ("username", "VICTIM"), ("password", "correct horse battery"));
        using var other = await guesser.PostFormAsync("/login", "/login", ("username", "someone"), ("password", "guess one"));

        Assert.Equal(HttpStatusCode.BadRequest, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
        // Even the right password is refused until the window passes: the guesser cannot tell a hit.
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.InRange(RetryAfter(third), 1, 3600);
        Assert.Contains("Too many sign-in attempts", await third.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
    }

    [Fact]
    public async Task Register_OverPerAddressLimit_429FormAndNoUserCreated()
    {
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere(), Limits(registerPerAddress: 1));
        using var client = blog.NewClient();
        await client.RegisterAsync("first-user");

        using var second = await client.PostFormAsync("/register", "/register", ("username", "second-user"), ("password", "long enough password"));

        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.InRange(RetryAfter(second), 1, 3600);
        var html = await second.Content.ReadAsStringAsync();
        Assert.Contains("id=\"username-error\">Too many registrations; try again in ", html, StringComparison.Ordinal);
        Assert.Contains("value=\"second-user\"", html, StringComparison.Ordinal);
        using var profile = await client.Http.GetAsync("/users/second-user");
        Assert.Equal(HttpStatusCode.NotFound, profile.StatusCode);
    }

    [Fact]
    public async Task Login_AfterWindowPasses_AcceptedAgain()
    {
        var settings = Limits(signInPerAddress: 1);
        settings["Blog:RateLimit:WindowSeconds"] = "1";
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere(), settings);
        using var client = blog.NewClient();
        using var first = await client.PostFormAsync("/login", "/login", ("username", "nobody"), ("password", "guess one"));
        Assert.Equal(HttpStatusCode.BadRequest, first.StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        var sawRefusal = false;
        while (true)
        {
            using var attempt = await client.PostFormAsync("/login", "/login", ("username", "nobody"), ("password", "guess again"));
            if (attempt.StatusCode == HttpStatusCode.TooManyRequests)
            {
                sawRefusal = true;
            }
            else
            {
                Assert.Equal(HttpStatusCode.BadRequest, attempt.StatusCode);
                if (sawRefusal)
                {
                    break;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "the limit never refused and then let an attempt through again");
        }
    }

    private static Dictionary<string, string> Limits(int signInPerAddress = 1000, int signInPerUser = 1000, int registerPerAddress = 1000) => new()
    {
        ["Blog:RateLimit:WindowSeconds"] = "3600",
        ["Blog:RateLimit:SignInPerAddress"] = signInPerAddress.ToString(CultureInfo.InvariantCulture),
        ["Blog:RateLimit:SignInPerUser"] = signInPerUser.ToString(CultureInfo.InvariantCulture),
        ["Blog:RateLimit:RegisterPerAddress"] = registerPerAddress.ToString(CultureInfo.InvariantCulture),
    };

    private static int RetryAfter(HttpResponseMessage response) =>
        int.Parse(response.Headers.GetValues("Retry-After").Single(), NumberStyles.None, CultureInfo.InvariantCulture);
}
