namespace Sluice.Blog.Security;

/// <summary>Where a login may send the browser back to: a path on this site only, never another host.</summary>
internal static class LocalUrl
{
    /// <summary>
    /// <paramref name="url"/> when it is a path on this site, else "/". "//host" and "/\host" lead to another host, and
    /// so does "/\t/host": browsers drop tabs and newlines from an address before reading it (and a newline could not
    /// go in the Location header at all), so no control character is let through, as ASP.NET Core's IsLocalUrl does.
    /// </summary>
    public static string OrHome(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\' && !HasControlCharacter(url))) ? url : "/";

    private static bool HasControlCharacter(string url)
    {
        foreach (var c in url)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }
}
