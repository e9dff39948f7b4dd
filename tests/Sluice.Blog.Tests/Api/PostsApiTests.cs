using System.Net;
using System.Text.Json;
using Sluice.Blog.Tests.Infrastructure;

namespace Sluice.Blog.Tests.Api;

/// <summary>The JSON API under /api over real HTTP: RFC 7807 problems naming the field, never a 500.</summary>
public sealed class PostsApiTests : IAsyncLifetime
{
    private BlogServer _blog = null!;

    public async Task InitializeAsync() => _blog = await BlogServer.StartAsync(Sluices.Nowhere());

    public async Task DisposeAsync() => await _blog.DisposeAsync();

    [Theory]
    [InlineData("{\"title\": 5, \"body\": \"b\"}", "title")]
    [InlineData("{\"title\": \"t\", \"body\": \"  \"}", "body")]
    [InlineData("{\"title\": \"\", \"body\": \"b\"}", "title")]
    [InlineData("{\"title\": \"t\", \"body\": \"b\", \"published\": \"yes\"}", "published")]
    [InlineData("{\"title\": \"t\", \"body\": \"b\", \"tags\": []}", "tags")]
    [InlineData("[1]", "body")]
    [InlineData("{\"title\": ", "body")]
    public async Task Create_BadBody_400ProblemNamingField(string json, string field)
    {
        using var author = _blog.NewClient();
        await author.RegisterAsync("api-writer");

        using var response = await author.Http.PostAsync("/api/posts", BlogClient.Json(json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await BlogClient.ProblemAsync(response);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Create_FormContentType_415NamingContentType()
    {
        using var author = _blog.NewClient();
        await author.RegisterAsync("api-writer");

        using var response = await author.Http.PostAsync("/api/posts", new FormUrlEncodedContent([new("title", "t"), new("body", "b")]));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("Content-Type", (await BlogClient.ProblemAsync(response)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Create_NotSignedIn_401Problem()
    {
        using var client = _blog.NewClient();

        using var response = await client.Http.PostAsync("/api/posts", BlogClient.Json("{\"title\":\"t\",\"body\":\"b\"}"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(401, (await BlogClient.ProblemAsync(response)).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task CreateThenList_Published_InPageWithRenderedHtml()
    {
        using var author = _blog.NewClient();
        await author.RegisterAsync("api-writer");

        using var created = await author.Http.PostAsync("/api/posts", BlogClient.Json("{\"title\":\"From the API\",\"body\":\"*hi*\",\"published\":true}"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var reader = _blog.NewClient();
        using var doc = JsonDocument.Parse(await reader.Http.GetStringAsync("/api/posts"));
        var post = doc.RootElement.GetProperty("posts")[0];
        Assert.Equal("From the API", post.GetProperty("title").GetString());
        Assert.Equal("<p><em>hi</em></p>\n", post.GetProperty("html").GetString());
        Assert.Equal("api-writer", post.GetProperty("author").GetString());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task Update_OtherAuthor_403AndUnchanged()
    {
        using var author = _blog.NewClient();
        await author.RegisterAsync("owner");
        var id = await author.CreatePostAsync("Mine", "body");
        using var other = _blog.NewClient();
        await other.RegisterAsync("other");

        using var response = await other.Http.PutAsync($"/api/posts/{id}", BlogClient.Json("{\"title\":\"Theirs\",\"body\":\"x\",\"published\":true}"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("id", (await BlogClient.ProblemAsync(response)).GetProperty("field").GetString());
        Assert.Contains("Mine", await other.Http.GetStringAsync($"/api/posts/{id}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_BadPage_400NamingPage()
    {
        using var reader = _blog.NewClient();

        using var response = await reader.Http.GetAsync("/api/posts?page=-1");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("page", (await BlogClient.ProblemAsync(response)).GetProperty("field").GetString());
    }
}
