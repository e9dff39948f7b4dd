using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Sluice.Core.Metrics;
using Sluice.Server.Hosting;

namespace Sluice.Server.Apis;

/// <summary>Operations endpoints: Prometheus metrics and health probes (outside /v1, no API key).</summary>
internal static class OpsApi
{
    public static IEndpointRouteBuilder MapOpsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", (PrometheusExporter exporter) => TypedResults.Text(exporter.Render(), "text/plain; version=0.0.4; charset=utf-8"))
            .WithTags("Operations").WithName("Metrics").WithSummary("Prometheus text exposition of every Sluice metric.").AllowHead().ExcludeFromDescription();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponseWriter.WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("ready"),
            ResponseWriter = static (http, report) =>
            {
                // Logged when a check's state changes, not at every probe (Kubernetes probes every few seconds).
                http.RequestServices.GetRequiredService<HealthTransitionLog>().Observe(report);
                return HealthResponseWriter.WriteAsync(http, report);
            },
            ResultStatusCodes =
            {
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy] = 200,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded] = 200,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy] = 503,
            },
        });
        return app;
    }
}
