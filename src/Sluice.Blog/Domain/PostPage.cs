namespace Sluice.Blog.Domain;

/// <summary>One page of published posts, newest first; <see cref="HasMore"/> when a next page exists.</summary>
internal sealed record PostPage(IReadOnlyList<Post> Posts, int Page, int PageSize, bool HasMore);
