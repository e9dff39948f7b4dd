using System.Text.Json.Serialization;
using Sluice.Blog.Domain;

namespace Sluice.Blog.Api;

/// <summary>A post as the JSON API shows it.</summary>
internal sealed record PostJson(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("body")] string Body,
    [property: JsonPropertyName("html")] string Html,
    [property: JsonPropertyName("author")] string Author,
    [property: JsonPropertyName("published")] bool Published,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTimeOffset UpdatedAt)
{
    public static PostJson From(Post post) =>
        new(post.Id, post.Title, post.Markdown, post.Html, post.AuthorName, post.Published, post.CreatedAt, post.UpdatedAt);
}
