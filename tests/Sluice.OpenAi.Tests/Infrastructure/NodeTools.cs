using System.Diagnostics;
using Sluice.Testing;

namespace Sluice.OpenAi.Tests.Infrastructure;

/// <summary>Finds Node and the openai package that scripts/install-openai-deps.sh puts in <c>.tools/node</c>, and runs scripts.</summary>
internal static class NodeTools
{
    /// <summary>The repository's <c>.tools/node</c> folder (it may not exist yet).</summary>
    public static string ToolsDir
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sluice.slnx")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? ".", ".tools", "node");
        }
    }

    public static bool SdkInstalled => File.Exists(Path.Combine(ToolsDir, "node_modules", "openai", "package.json")) && ToolFactAttribute.FindTool("node") is not null;

    /// <summary>Runs <c>node script</c> and returns its standard output; throws with stderr on failure.</summary>
    public static async Task<string> RunAsync(string script, IDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("node", [script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish in {timeout}: {await stderr}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"node {script} exited with {process.ExitCode}: {await stderr}");
        }

        return await stdout;
    }
}
