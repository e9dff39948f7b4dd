namespace Sluice.Blog.Domain;

/// <summary>What an author submits for a post (a form or <c>/api/posts</c>), before validation.</summary>
internal sealed record PostInput(string Title, string Markdown, bool Published);
