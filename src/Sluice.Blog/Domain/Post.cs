namespace Sluice.Blog.Domain;

/// <summary>
/// A post: its Markdown as written and the HTML rendered from it when it was saved (rendering once per write keeps
/// Markdig off the read path).
/// </summary>
internal sealed record Post(
    long Id,
    long AuthorId,
    string AuthorName,
    string Title,
    string Markdown,
    string Html,
    bool Published,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
