using System.Diagnostics;

namespace Sluice.Testing;

/// <summary><c>promtool</c> (Prometheus' own checker, which <c>./sluice test</c> installs) over a scrape; use with <see cref="ToolFactAttribute"/>.</summary>
public static class Promtool
{
    /// <summary>
    /// Pipes <paramref name="exposition"/> (the Prometheus text format) into <c>promtool check metrics</c> and returns its
    /// exit code and what it printed: errors, and lint findings (which still exit 0).
    /// </summary>
    public static async Task<PromtoolResult> CheckMetricsAsync(string exposition)
    {
        var psi = new ProcessStartInfo(ToolFactAttribute.FindTool("promtool") ?? "promtool", "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("promtool did not start");

        // Both pipes are drained at once: promtool blocks on a full one while the other is read to its end.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        var findings = await stdout + await stderr;
        await process.WaitForExitAsync();
        return new PromtoolResult(process.ExitCode, findings);
    }
}
