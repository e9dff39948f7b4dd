namespace Sluice.Blog.Hosting;

/// <summary>Output cache policy and tag names.</summary>
internal static class CacheTags
{
    /// <summary>The policy of the pages that list or show posts, and the tag a write evicts.</summary>
    public const string Posts = "posts";
}
