using Sluice.Core.Paths;
using Xunit;

namespace Sluice.Testing;

/// <summary>
/// A fact that needs files from <c>../shared</c>. Where they are missing it is skipped with a clear message on a
/// developer's machine, and still runs (and fails loudly) when <c>CI=true</c>, as shared/README.md requires.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(params string[] relativePaths)
    {
        foreach (var relative in relativePaths)
        {
            if (SharedData.TryGetPath(relative) is null && !IsCi)
            {
                Skip = $"needs ../shared/{relative} (set SLUICE_SHARED); skipped because CI is not set";
                return;
            }
        }
    }

    /// <summary>True on CI, where missing shared files are failures, not skips.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The full path of a shared file; throws a clear error when it is missing.</summary>
    public static string RequirePath(string relative) =>
        SharedData.TryGetPath(relative) ?? throw new FileNotFoundException($"../shared/{relative} is missing (set SLUICE_SHARED to the shared folder)", relative);
}
