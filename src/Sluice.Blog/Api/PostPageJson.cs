using System.Text.Json.Serialization;

namespace Sluice.Blog.Api;

/// <summary>One page of <c>GET /api/posts</c>; <c>next</c> is the next page's address, or null on the last.</summary>
internal sealed record PostPageJson(
    [property: JsonPropertyName("posts")] IReadOnlyList<PostJson> Posts,
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("next")] string? Next);
