using System.Diagnostics;
using Sluice.Testing;

namespace Sluice.Sqlite.Tests;

/// <summary>
/// A fact that needs a file this process may not write. Permissions do that for an ordinary user; root (as
/// <c>./sluice test</c> runs) needs the immutable attribute, <c>chattr +i</c>, which a container without
/// CAP_LINUX_IMMUTABLE refuses. Probed once on a scratch file: where refused, skipped with a clear message on a
/// developer's machine; on CI (<c>CI=true</c>) it runs and fails.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadOnlyFileFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> s_refusal = new(ProbeImmutable);

    public ReadOnlyFileFactAttribute()
    {
        if (NeedsImmutable && s_refusal.Value is { } refusal && !SharedDataFactAttribute.IsCi)
        {
            Skip = $"needs 'chattr +i' to make a file read-only for root, and {refusal}; skipped because CI is not set";
        }
    }

    /// <summary>True where file permissions do not stop this process, so only the immutable attribute does.</summary>
    public static bool NeedsImmutable => OperatingSystem.IsWindows() || Environment.UserName == "root";

    /// <summary>Runs <c>chattr FLAG FILE</c>; its exit code and what it wrote on stderr.</summary>
    public static (int ExitCode, string Error) Chattr(string flag, string file)
    {
        var start = new ProcessStartInfo("chattr", [flag, file]) { RedirectStandardError = true };
        using var chattr = Process.Start(start) ?? throw new InvalidOperationException("chattr did not start");
        var error = chattr.StandardError.ReadToEnd();
        chattr.WaitForExit();
        return (chattr.ExitCode, error.Trim());
    }

    /// <summary>Null when <c>chattr +i</c> works in the temporary folder (where the tests' data folders are), else why not.</summary>
    private static string? ProbeImmutable()
    {
        if (ToolFactAttribute.FindTool("chattr") is null)
        {
            return "'chattr' is not on PATH";
        }

        var file = Path.Combine(Path.GetTempPath(), "sluice-chattr-probe-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(file, []);
        try
        {
            var (exitCode, error) = Chattr("+i", file);
            return exitCode == 0 ? null : $"it was refused ({error}; a container without CAP_LINUX_IMMUTABLE?)";
        }
        finally
        {
            // Cleared whatever +i answered, or the probe file could never be deleted.
            Chattr("-i", file);
            File.Delete(file);
        }
    }
}
