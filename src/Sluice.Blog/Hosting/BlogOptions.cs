namespace Sluice.Blog.Hosting;

/// <summary>The blog's settings, section <c>Blog</c>.</summary>
internal sealed class BlogOptions
{
    public const string Section = "Blog";

    /// <summary>Folder of the blog's SQLite file (<c>blog.db</c>).</summary>
    public string DataDir { get; set; } = "data-blog";

    /// <summary>Posts on a page of the home page and of <c>GET /api/posts</c>.</summary>
    public int PageSize { get; set; } = 10;

    /// <summary>How long an anonymous reader's home and post pages are served from the output cache (an edit evicts them at once).</summary>
    public int CacheSeconds { get; set; } = 60;
}
