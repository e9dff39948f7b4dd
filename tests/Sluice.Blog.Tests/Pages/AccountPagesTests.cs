using System.Net;
using Sluice.Blog.Tests.Infrastructure;

using Sluice.Testing;

namespace Sluice.Blog.Tests.Pages;

/// <summary>Register, sign in and sign out over real HTTP against a blog on loopback.</summary>
public sealed class AccountPagesTests : IAsyncLifetime
{
    private BlogServer _blog = null!;

    public async Task InitializeAsync() => _blog = await BlogServer.StartAsync(Sluices.Nowhere());

    public async Task DisposeAsync() => await _blog.DisposeAsync();

    [Fact]
    public async Task Register_ValidForm_SignsInAndShowsProfile()
    {
        using var client = _blog.NewClient();

        await client.RegisterAsync("alice");

        var profile = await client.Http.GetStringAsync("/users/alice");
        Assert.Contains("id=\"profile-name\">alice<", profile, StringComparison.Ordinal);
        Assert.Contains("id=\"logout\"", profile, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_TakenNameInOtherCase_RerendersFormWithUsernameError()
    {
        using var first = _blog.NewClient();
        await first.RegisterAsync("alice");
        using var second = _blog.NewClient();

        using var response = await second.PostFormAsync("/register", "/register", ("username", "ALICE"), ("password", "another password"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("id=\"username-error\">That username is taken.", html, StringComparison.Ordinal);
        Assert.Contains("value=\"ALICE\" aria-invalid=\"true\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_ShortPassword_RerendersFormWithPasswordError()
    {
        using var client = _blog.NewClient();

        using var response = await client.PostFormAsync("/register", "/register", ("username", "bob"), ("password", "short"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("id=\"password-error\">A password is at least 8 characters.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_NoAntiforgeryToken_ProblemNamingTheTokenAndNoUserCreated()
    {
        using var client = _blog.NewClient();

        using var response = await client.Http.PostAsync("/register", new FormUrlEncodedContent([new("username", "mallory"), new("password", "long enough password")]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("__RequestVerificationToken", (await BlogClient.ProblemAsync(response)).GetProperty("field").GetString());
        using var check = await client.Http.GetAsync("/users/mallory");
        Assert.Equal(HttpStatusCode.NotFound, check.StatusCode);
    }

    [Fact]
    public async Task Login_WrongPassword_RerendersFormWithError()
    {
        using (var author = _blog.NewClient())
        {
            await author.RegisterAsync("carol");
        }

        using var client = _blog.NewClient();
        using var response = await client.PostFormAsync("/login", "/login", ("username", "carol"), ("password", "not her password"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Wrong username or password.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_UnknownPath_404Problem()
    {
        using var client = _blog.NewClient();

        using var response = await client.Http.GetAsync("/no/such/page");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(404, (await BlogClient.ProblemAsync(response)).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Login_UnknownUser_SameAnswerAsWrongPassword()
    {
        using var client = _blog.NewClient();

        using var response = await client.PostFormAsync("/login", "/login", ("username", "nobody"), ("password", "whatever password"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Wrong username or password.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_RightPassword_RedirectsToLocalReturnUrlOnly()
    {
        using (var author = _blog.NewClient())
        {
            await author.RegisterAsync("dave");
        }

        using var client = _blog.NewClient();
        using var local = await client.PostFormAsync("/login", "/login", ("username", "dave"), ("password", "correct horse battery"), ("returnUrl", "/posts/new"));
        using var other = await client.PostFormAsync("/login", "/login", ("username", "dave"), ("password", "correct horse battery"), ("returnUrl", "//evil.example/"));

        Assert.Equal("/posts/new", local.Headers.Location!.OriginalString);
        Assert.Equal("/", other.Headers.Location!.OriginalString);
        using var page = await client.Http.GetAsync("/posts/new");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Theory]
    [InlineData("/\t/evil.example/")]
    [InlineData("/\n/evil.example/")]
    [InlineData("/\r\n/evil.example/")]
    [InlineData("/\\evil.example/")]
    public async Task Login_ReturnUrlThatBrowsersReadAsAnotherHost_RedirectsHome(string returnUrl)
    {
        using (var author = _blog.NewClient())
        {
            await author.RegisterAsync("frank");
        }

        using var client = _blog.NewClient();
        using var response = await client.PostFormAsync("/login", "/login", ("username", "frank"), ("password", "correct horse battery"), ("returnUrl", returnUrl));

        // Browsers drop tabs and newlines from an address, so "/\t/evil.example/" is "//evil.example/": another host.
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.NonValidated["Location"].ToString());
    }

    [Fact]
    public async Task Register_OverHttp_SignInCookieHttpOnlySameSiteLax()
    {
        using var client = _blog.NewClient();

        using var response = await client.PostFormAsync("/register", "/register", ("username", "grace"), ("password", "correct horse battery"));

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("sluice_blog=", StringComparison.Ordinal));
        Assert.Contains("; httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Logout_SignedIn_NewPostPageAsksToSignIn()
    {
        using var client = _blog.NewClient();
        await client.RegisterAsync("erin");

        using var logout = await client.PostFormAsync("/", "/logout");
        using var page = await client.Http.GetAsync("/posts/new");

        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/login", page.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_ThenBlogRestartsOnSameFolder_StillSignedIn()
    {
        using var folder = new TempFolder();
        var cookies = new CookieContainer();
        Uri address;
        await using (var first = BlogServer.Build(folder, Sluices.Nowhere()))
        {
            await first.StartAsync();
            address = new Uri(first.Urls.First());
            using var client = new BlogClient(new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = address });
            await client.RegisterAsync("keeper");
            await first.StopAsync();
        }

        await using var second = BlogServer.Build(folder, Sluices.Nowhere(), new Dictionary<string, string> { ["urls"] = address.ToString() });
        await second.StartAsync();
        using var again = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = address };

        using var page = await again.GetAsync("/posts/new");

        // The cookie was signed with a key kept in the data folder, so it still reads.
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.True(File.Exists(Directory.GetFiles(folder.File("keys"))[0]));
    }
}
