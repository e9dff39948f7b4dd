using Xunit;

namespace Sluice.Testing;

/// <summary>
/// A fact that needs a command-line tool (promtool, chromium …) that <c>./sluice test</c> installs. Skipped with a
/// clear message where the tool is missing on a developer's machine; on CI (<c>CI=true</c>) it runs and fails.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string tool)
    {
        if (FindTool(tool) is null && !SharedDataFactAttribute.IsCi)
        {
            Skip = $"needs '{tool}' on PATH (./sluice test installs it); skipped because CI is not set";
        }
    }

    /// <summary>Full path of <paramref name="tool"/> on PATH, or null.</summary>
    public static string? FindTool(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
