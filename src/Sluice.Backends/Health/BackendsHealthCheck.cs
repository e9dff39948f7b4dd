using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sluice.Backends.Routing;

namespace Sluice.Backends.Health;

/// <summary>
/// Part of <c>/health/ready</c>: degraded (still 200) while an upstream is unhealthy or its circuit is open,
/// naming each backend's state (not its last error); an external model server being down must not take Sluice itself out of rotation
/// (local models and fallbacks keep serving).
/// </summary>
internal sealed class BackendsHealthCheck(BackendRegistry backends) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(backends.Upstreams.Count);
        var down = 0;
        foreach (var u in backends.Upstreams)
        {
            // The state only: /health/ready is anonymous, and the last error's text names the upstream's host and port
            // (GET /v1/models, behind the keys, shows it as health_error).
            data[u.Name] = u.Health.State;
            down += u.Health.IsAvailable ? 0 : 1;
        }

        return Task.FromResult(down == 0
            ? HealthCheckResult.Healthy(backends.Upstreams.Count == 0 ? "no backends configured" : "all backends available", data)
            : HealthCheckResult.Degraded($"{down} backend(s) unavailable", data: data));
    }
}
