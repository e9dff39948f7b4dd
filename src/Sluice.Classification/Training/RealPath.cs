namespace Sluice.Classification.Training;

/// <summary>
/// Where a path really leads, as <c>realpath(3)</c> does: every symbolic link along it is followed, and a <c>..</c> after
/// a link goes up from the link's target, as the file system does when it opens the path (a lexical
/// <see cref="Path.GetFullPath(string)"/> would go up from the link, so <c>root/link/../x</c> could name a file outside
/// the root while looking inside it). Components that do not exist are kept as written.
/// </summary>
internal static class RealPath
{
    /// <summary>Links followed before giving up, as the kernel's ELOOP limit.</summary>
    private const int MaxLinks = 40;

    private static readonly char[] s_separators = [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar];

    /// <summary>The physical full path of <paramref name="path"/> (relative paths against the working folder).</summary>
    /// <exception cref="IOException">More than 40 links, or a link cannot be read.</exception>
    public static string Resolve(string path)
    {
        var pending = Path.IsPathFullyQualified(path) ? path : Path.Combine(Directory.GetCurrentDirectory(), path);
        var links = 0;
        while (true)
        {
            var root = Path.GetPathRoot(pending) ?? "";
            var parts = pending[root.Length..].Split(s_separators, StringSplitOptions.RemoveEmptyEntries);
            var done = Path.GetFullPath(root);
            string? restart = null;
            for (var i = 0; i < parts.Length; i++)
            {
                var part = parts[i];
                if (part == ".")
                {
                    continue;
                }

                if (part == "..")
                {
                    // done is physical already, so its parent is the folder ".." opens.
                    done = Path.GetDirectoryName(done) ?? done;
                    continue;
                }

                var next = Path.Combine(done, part);
                var info = new FileInfo(next);
                if (info.LinkTarget is not { } target)
                {
                    if (!info.Exists && !Directory.Exists(next))
                    {
                        // Nothing there to follow: the rest is kept as written (opening it fails anyway).
                        return Path.GetFullPath(Path.Combine(next, string.Join(Path.DirectorySeparatorChar, parts, i + 1, parts.Length - i - 1)));
                    }

                    done = next;
                    continue;
                }

                if (++links > MaxLinks)
                {
                    throw new IOException($"too many levels of symbolic links in {path}");
                }

                // A relative target is relative to the link's folder; the target is walked again, its own links included.
                var resolved = Path.IsPathFullyQualified(target) ? target : Path.Combine(done, target);
                restart = Path.Combine(resolved, string.Join(Path.DirectorySeparatorChar, parts, i + 1, parts.Length - i - 1));
                break;
            }

            if (restart is null)
            {
                return done;
            }

            pending = restart;
        }
    }

    /// <summary>Whether the physical path <paramref name="real"/> is one of <paramref name="realRoots"/> or below one.</summary>
    public static bool IsUnder(string real, IReadOnlyList<string> realRoots)
    {
        foreach (var root in realRoots)
        {
            var trimmed = Path.TrimEndingDirectorySeparator(root);
            if (string.Equals(real, trimmed, StringComparison.Ordinal)
                || real.StartsWith(trimmed + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The physical paths of <paramref name="roots"/> (a root that is itself a link counts as its target).</summary>
    public static string[] ResolveAll(IReadOnlyList<string> roots)
    {
        var real = new string[roots.Count];
        for (var i = 0; i < real.Length; i++)
        {
            real[i] = Resolve(roots[i]);
        }

        return real;
    }
}
