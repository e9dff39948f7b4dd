using System.Globalization;

namespace Sluice.Backends.Tests.Infrastructure;

/// <summary>Server settings for a backend under test.</summary>
internal static class Settings
{
    public static Dictionary<string, string> Backend(string name, string type, string baseUrl, params (string Key, object Value)[] extra)
    {
        var s = new Dictionary<string, string>
        {
            [$"Sluice:Backends:{name}:Type"] = type,
            [$"Sluice:Backends:{name}:BaseUrl"] = baseUrl,
            [$"Sluice:Backends:{name}:RetryBaseDelayMs"] = "20",
            // One attempt per job unless a test says otherwise: what happens is the backend's doing, not the job retry's.
            [$"Sluice:Models:{name}:MaxAttempts"] = "1",
        };
        foreach (var (k, v) in extra)
        {
            s[k.StartsWith("Sluice:", StringComparison.Ordinal) ? k : $"Sluice:Backends:{name}:{k}"] = Convert.ToString(v, CultureInfo.InvariantCulture)!;
        }

        return s;
    }
}
