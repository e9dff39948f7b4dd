namespace Sluice.Testing;

/// <summary>What <c>promtool check metrics</c> said: its exit code (0: the exposition parsed) and its output (empty: no lint findings).</summary>
public sealed record PromtoolResult(int ExitCode, string Findings)
{
    /// <summary>Parsed, with no lint findings either.</summary>
    public bool IsClean => ExitCode == 0 && string.IsNullOrWhiteSpace(Findings);
}
