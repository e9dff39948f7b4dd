using Sluice.Core.Paths;
using Sluice.Testing;

namespace Sluice.OpenAi.Tests.Infrastructure;

/// <summary>
/// A fact that needs Node, the openai npm package (scripts/install-openai-deps.sh, run by ./sluice test) and the
/// shared stories260K model. Skipped with the reason on a developer machine that lacks them; runs (and fails) on CI.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OpenAiSdkFactAttribute : FactAttribute
{
    public OpenAiSdkFactAttribute()
    {
        if (SharedDataFactAttribute.IsCi)
        {
            return;
        }

        if (!NodeTools.SdkInstalled)
        {
            Skip = "needs node and the openai npm package in .tools/node (bash scripts/install-openai-deps.sh)";
        }
        else if (SharedData.TryGetPath("models/stories260K.bin") is null)
        {
            Skip = "needs ../shared/models/stories260K.bin (set SLUICE_SHARED)";
        }
    }
}
