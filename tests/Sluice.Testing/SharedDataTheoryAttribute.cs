using Sluice.Core.Paths;
using Xunit;

namespace Sluice.Testing;

/// <summary>The theory counterpart of <see cref="SharedDataFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute(params string[] relativePaths)
    {
        foreach (var relative in relativePaths)
        {
            if (SharedData.TryGetPath(relative) is null && !SharedDataFactAttribute.IsCi)
            {
                Skip = $"needs ../shared/{relative} (set SLUICE_SHARED); skipped because CI is not set";
                return;
            }
        }
    }
}
