using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sluice.Core.Models;
using Sluice.Core.Scheduling;

namespace Sluice.Server.Hosting;

/// <summary>Ready once the store is open, recovery has run and no model is still loading or warming.</summary>
internal sealed class ModelsHealthCheck(ModelRegistry registry, ModelHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(registry.All.Count);
        var failed = 0;
        foreach (var e in registry.All)
        {
            data[e.Name] = e.State.ToString().ToLowerInvariant();
            failed += e.State == ModelState.Failed ? 1 : 0;
        }

        if (!host.Started.IsCompletedSuccessfully)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("starting: store and recovery not done", data: data));
        }

        if (!registry.AllSettled)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("models loading or warming", data: data));
        }

        return Task.FromResult(failed > 0
            ? HealthCheckResult.Degraded($"{failed} model(s) failed to load", data: data)
            : HealthCheckResult.Healthy("all models ready", data));
    }
}
