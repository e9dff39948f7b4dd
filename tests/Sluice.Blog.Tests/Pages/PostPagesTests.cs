using System.Net;
using Sluice.Blog.Tests.Infrastructure;

namespace Sluice.Blog.Tests.Pages;

/// <summary>Home, post, profile and the post forms over real HTTP; the output cache and its eviction on edit.</summary>
public sealed class PostPagesTests : IAsyncLifetime
{
    private BlogServer _blog = null!;

    public async Task InitializeAsync() => _blog = await BlogServer.StartAsync(Sluices.Nowhere());

    public async Task DisposeAsync() => await _blog.DisposeAsync();

    [Fact]
    public async Task CreatePost_Published_OnHomeAndDetailWithRenderedMarkdown()
    {
        using var author = _blog.NewClient();
        await author.RegisterAsync("writer");

        var id = await author.CreatePostAsync("Queues beat timeouts", "Some **bold** text.\n\n<script>alert(1)</script>");

        using var reader = _blog.NewClient();
        Assert.Contains("Queues beat timeouts", await reader.Http.GetStringAsync("/"), StringComparison.Ordinal);
        var detail = await reader.Http.GetStringAsync($"/posts/{id}");
        Assert.Contains("<strong>bold</strong>", detail, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"edit\"", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatePost_EmptyTitle_RerendersFormWithTitleErrorAndKeepsBody()
    {
        using var author = _blog.NewClient();
        await author.RegisterAsync("writer");

        using var response = await author.PostFormAsync("/posts/new", "/posts", ("title", "  "), ("body", "kept body"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("id=\"title-error\">A title is required.", html, StringComparison.Ordinal);
        Assert.Contains(">kept body</textarea>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatePost_NotSignedIn_RedirectsToLogin()
    {
        using var client = _blog.NewClient();
        var token = await client.TokenAsync("/register");

        using var response = await client.Http.PostAsync("/posts", new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("title", "t"), new("body", "b")]));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EditPost_OtherUser_ForbiddenAndPostUnchanged()
    {
        using var author = _blog.NewClient();
        await author.RegisterAsync("owner");
        var id = await author.CreatePostAsync("Original", "body");
        using var other = _blog.NewClient();
        await other.RegisterAsync("intruder");

        using var page = await other.Http.GetAsync($"/posts/{id}/edit");
        var token = await other.TokenAsync("/posts/new");
        using var post = await other.Http.PostAsync($"/posts/{id}", new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("title", "Defaced"), new("body", "x"), new("published", "true")]));

        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Contains("Original", await other.Http.GetStringAsync($"/posts/{id}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EditPost_Author_CachedHomeAndDetailShowNewTitleAtOnce()
    {
        using var author = _blog.NewClient();
        await author.RegisterAsync("editor");
        var id = await author.CreatePostAsync("Before edit", "body");
        using var reader = _blog.NewClient();
        // Twice each: the second answer comes from the output cache.
        for (var i = 0; i < 2; i++)
        {
            Assert.Contains("Before edit", await reader.Http.GetStringAsync("/"), StringComparison.Ordinal);
            Assert.Contains("Before edit", await reader.Http.GetStringAsync($"/posts/{id}"), StringComparison.Ordinal);
        }

        using var edit = await author.PostFormAsync($"/posts/{id}/edit", $"/posts/{id}", ("title", "After edit"), ("body", "new body"), ("published", "true"));

        Assert.Equal(HttpStatusCode.Redirect, edit.StatusCode);
        Assert.Contains("After edit", await reader.Http.GetStringAsync("/"), StringComparison.Ordinal);
        var detail = await reader.Http.GetStringAsync($"/posts/{id}");
        Assert.Contains("After edit", detail, StringComparison.Ordinal);
        Assert.Contains("new body", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Home_AnonymousTwice_SecondAnswerFromCache()
    {
        using var author = _blog.NewClient();
        await author.RegisterAsync("cached");
        await author.CreatePostAsync("Cached post", "body");
        using var reader = _blog.NewClient();

        using var first = await reader.Http.GetAsync("/");
        using var second = await reader.Http.GetAsync("/");

        Assert.Null(first.Headers.Age);
        Assert.NotNull(second.Headers.Age);
    }

    [Fact]
    public async Task Detail_DraftOfAnotherUser_NotFound()
    {
        using var author = _blog.NewClient();
        await author.RegisterAsync("drafter");
        var id = await author.CreatePostAsync("Secret draft", "body", published: false);
        using var reader = _blog.NewClient();

        using var response = await reader.Http.GetAsync($"/posts/{id}");
        var own = await author.Http.GetStringAsync($"/posts/{id}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Secret draft", own, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret draft", await reader.Http.GetStringAsync("/"), StringComparison.Ordinal);
        Assert.DoesNotContain("Secret draft", await reader.Http.GetStringAsync("/users/drafter"), StringComparison.Ordinal);
        Assert.Contains("Secret draft", await author.Http.GetStringAsync("/users/drafter"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Home_ManyPosts_PagedWithOlderLink()
    {
        await using var blog = await BlogServer.StartAsync(Sluices.Nowhere(), new Dictionary<string, string> { ["Blog:PageSize"] = "2" });
        using var author = blog.NewClient();
        await author.RegisterAsync("prolific");
        for (var i = 1; i <= 3; i++)
        {
            await author.CreatePostAsync($"Post number {i}", "body");
        }

        using var reader = blog.NewClient();
        var first = await reader.Http.GetStringAsync("/");
        var second = await reader.Http.GetStringAsync("/?page=2");

        Assert.Contains("id=\"older\"", first, StringComparison.Ordinal);
        Assert.Contains("Post number 3", first, StringComparison.Ordinal);
        Assert.DoesNotContain("Post number 1", first, StringComparison.Ordinal);
        Assert.Contains("Post number 1", second, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"older\"", second, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("abc")]
    [InlineData("99999999999")]
    public async Task Home_BadPage_400NamingPage(string page)
    {
        using var reader = _blog.NewClient();

        using var response = await reader.Http.GetAsync($"/?page={page}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("data-field=\"page\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
