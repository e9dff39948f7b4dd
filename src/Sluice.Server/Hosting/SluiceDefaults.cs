namespace Sluice.Server.Hosting;

/// <summary>
/// The embedded defaults, added as the lowest-precedence configuration source so that appsettings files,
/// environment variables (<c>Sluice__Storage__DataDir</c>) and command-line arguments override any of them.
/// </summary>
internal static class SluiceDefaults
{
    public static readonly Dictionary<string, string?> Values = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        // A line per check at every probe (a warning for each degraded one, an error for each unhealthy one): the
        // changes are logged by HealthTransitionLog instead.
        ["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService"] = "None",
        ["Logging:Console:FormatterName"] = "simple",
        ["Logging:Console:FormatterOptions:SingleLine"] = "true",
        ["Logging:Console:FormatterOptions:TimestampFormat"] = "HH:mm:ss.fff ",
        ["Logging:Console:FormatterOptions:IncludeScopes"] = "true",
        ["Sluice:Role"] = "all",
        ["Sluice:Storage:DataDir"] = "./data",
    };
}
