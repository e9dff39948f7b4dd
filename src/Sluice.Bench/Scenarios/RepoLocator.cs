namespace Sluice.Bench.Scenarios;

/// <summary>Finds the repository (the folder holding Sluice.slnx) and the built CLI.</summary>
internal static class RepoLocator
{
    public static string? FindRoot(string? start = null)
    {
        string? dir = start ?? AppContext.BaseDirectory;
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir, "Sluice.slnx")))
            {
                return dir;
            }

            dir = Path.GetDirectoryName(dir);
        }

        return null;
    }

    /// <summary>The CLI the scenarios start servers with: <c>src/Sluice.Cli/bin/Release/net10.0/sluice.dll</c>.</summary>
    public static string SluiceDll(string repoRoot) => Path.Combine(repoRoot, "src", "Sluice.Cli", "bin", "Release", "net10.0", "sluice.dll");
}
