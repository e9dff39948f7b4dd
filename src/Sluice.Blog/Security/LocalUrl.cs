namespace Sluice.Blog.Security;

/// <summary>Where a login may send the browser back to: a path on this site only, never another host.</summary>
internal static class LocalUrl
{
    public static string OrHome(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) ? url : "/";
}
