namespace Sluice.Bench.Tests.Infrastructure;

/// <summary>
/// A fact that needs Debian's Chromium (<c>scripts/install-bench-deps.sh</c> installs it): skipped when it is absent on
/// a developer's machine, run (and failing loudly) when <c>CI=true</c>.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ChromiumPath) && !Sluice.Testing.SharedDataFactAttribute.IsCi)
        {
            Skip = $"{ChromiumPath} is not installed; run scripts/install-bench-deps.sh";
        }
    }
}
