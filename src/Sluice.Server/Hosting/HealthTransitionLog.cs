using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sluice.Server.Hosting;

/// <summary>
/// Logs what the <c>/health/ready</c> probes find when it changes, not at every probe: a check turning degraded or
/// unhealthy, or its description changing while it is (a warning), and its recovery (information). Kubernetes probes
/// every few seconds, so a model that failed to load used to write the same warning each time; the probe's answer
/// still reports the state every time. The health check service's own per-check lines are off in
/// <see cref="SluiceDefaults"/> for that reason (an exception a check throws is in the warning here).
/// </summary>
internal sealed partial class HealthTransitionLog(ILogger<HealthTransitionLog> logger)
{
    private readonly Lock _gate = new();

    /// <summary>The last status and description seen for each check, by check name.</summary>
    private readonly Dictionary<string, (HealthStatus Status, string? Description)> _last = new(StringComparer.Ordinal);

    public void Observe(HealthReport report)
    {
        lock (_gate)
        {
            foreach (var (name, entry) in report.Entries)
            {
                var now = (entry.Status, entry.Description);
                var seen = _last.TryGetValue(name, out var before);
                if (seen && before == now)
                {
                    continue;
                }

                _last[name] = now;
                if (entry.Status != HealthStatus.Healthy)
                {
                    Log.NotHealthy(logger, name, entry.Status.ToString().ToLowerInvariant(), entry.Description ?? "", Describe(entry.Data), entry.Exception);
                }
                else if (seen && before.Status != HealthStatus.Healthy)
                {
                    Log.Recovered(logger, name, entry.Description ?? "");
                }
            }
        }
    }

    private static string Describe(IReadOnlyDictionary<string, object> data) =>
        data.Count == 0 ? "" : " (" + string.Join(", ", data.Select(static d => $"{d.Key}: {d.Value}")) + ")";

    private static partial class Log
    {
        [LoggerMessage(EventId = 3601, Level = LogLevel.Warning, Message = "Health check {Check} is {Status}: {Description}{Data}")]
        public static partial void NotHealthy(ILogger logger, string check, string status, string description, string data, Exception? exception);

        [LoggerMessage(EventId = 3602, Level = LogLevel.Information, Message = "Health check {Check} is healthy again: {Description}")]
        public static partial void Recovered(ILogger logger, string check, string description);
    }
}
