namespace Sluice.Core.Paths;

/// <summary>
/// Locates the read-only <c>shared/</c> folder (models, data sets, golden outputs) that sits beside the
/// repository: <c>SLUICE_SHARED</c> when set, else the first <c>../shared</c> found walking up from the
/// current directory and from the application's base directory.
/// </summary>
public static class SharedData
{
    /// <summary>The shared folder, or null when none is found.</summary>
    public static string? Root => s_root.Value;

    private static readonly Lazy<string?> s_root = new(Find);

    /// <summary>Full path of <paramref name="relative"/> under the shared folder, or null when absent.</summary>
    public static string? TryGetPath(string relative)
    {
        var root = Root;
        if (root is null)
        {
            return null;
        }

        var path = Path.Combine(root, relative);
        return File.Exists(path) || Directory.Exists(path) ? path : null;
    }

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("SLUICE_SHARED");
        if (!string.IsNullOrWhiteSpace(env))
        {
            return Directory.Exists(env) ? Path.GetFullPath(env) : null;
        }

        return WalkUp(Directory.GetCurrentDirectory()) ?? WalkUp(AppContext.BaseDirectory);
    }

    private static string? WalkUp(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "..", "shared");
            if (Directory.Exists(Path.Combine(candidate, "models")) || Directory.Exists(Path.Combine(candidate, "data")))
            {
                return Path.GetFullPath(candidate);
            }
        }

        return null;
    }
}
