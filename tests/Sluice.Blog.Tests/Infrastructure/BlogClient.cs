using System.Net;
using System.Text;
using System.Text.Json;

namespace Sluice.Blog.Tests.Infrastructure;

/// <summary>One reader or author of the blog over real HTTP, with a cookie jar; posts forms as a browser does.</summary>
internal sealed class BlogClient(HttpClient http) : IDisposable
{
    public HttpClient Http => http;

    /// <summary>The antiforgery token of the form on <paramref name="page"/> (its cookie lands in the jar).</summary>
    public async Task<string> TokenAsync(string page)
    {
        var html = await http.GetStringAsync(page);
        var match = BlogServer.TokenPattern().Match(html);
        Assert.True(match.Success, $"no antiforgery field on {page}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>Posts a form with the token of the form at <paramref name="formPage"/>.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string formPage, string action, params (string Name, string Value)[] fields)
    {
        var token = await TokenAsync(formPage);
        var values = new List<KeyValuePair<string, string>> { new("__RequestVerificationToken", token) };
        foreach (var (name, value) in fields)
        {
            values.Add(new(name, value));
        }

        return await http.PostAsync(action, new FormUrlEncodedContent(values));
    }

    public async Task RegisterAsync(string username, string password = "correct horse battery")
    {
        using var response = await PostFormAsync("/register", "/register", ("username", username), ("password", password));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    /// <summary>Creates a post through the form and returns its id.</summary>
    public async Task<long> CreatePostAsync(string title, string body, bool published = true)
    {
        var fields = new List<(string, string)> { ("title", title), ("body", body) };
        if (published)
        {
            fields.Add(("published", "true"));
        }

        using var response = await PostFormAsync("/posts/new", "/posts", [.. fields]);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return long.Parse(response.Headers.Location!.OriginalString["/posts/".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public void Dispose() => http.Dispose();
}
