using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Sluice.Core.Metrics;
using Sluice.Server.Hosting;

namespace Sluice.Server.Apis;

/// <summary>Operations endpoints: Prometheus/OpenMetrics metrics and health probes (outside /v1, no API key).</summary>
internal static class OpsApi
{
    /// <summary>
    /// The probes' methods. <c>MapHealthChecks</c> maps no method, so POST, PUT, DELETE … ran the checks and answered 200;
    /// with the metadata, routing answers any other method 405 with <c>Allow</c>, as for every other endpoint.
    /// </summary>
    private static readonly HttpMethodMetadata ProbeMethods = new([HttpMethods.Get, HttpMethods.Head]);

    public static IEndpointRouteBuilder MapOpsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", static async Task (HttpContext http, PrometheusExporter exporter) =>
            {
                // One URL, two formats: caches and proxies must key the answer on Accept.
                http.Response.Headers.Vary = "Accept";
                var openMetrics = MetricsNegotiation.WantsOpenMetrics(http.Request.Headers.Accept);

                // The scrape is rendered as UTF-8 into a pooled buffer (no string, no encoding pass), whole, so the
                // answer carries its Content-Length as before.
                using var body = new PooledByteWriter();
                exporter.Render(body, openMetrics);
                http.Response.ContentType = openMetrics ? PrometheusExporter.OpenMetricsContentType : PrometheusExporter.TextContentType;
                http.Response.ContentLength = body.WrittenCount;
                await http.Response.Body.WriteAsync(body.WrittenMemory, http.RequestAborted).ConfigureAwait(false);
            })
            .WithTags("Operations").WithName("Metrics")
            .WithSummary("Every Sluice metric: Prometheus text format 0.0.4, or OpenMetrics 1.0 with exemplars when Accept asks for it.")
            .AllowHead().ExcludeFromDescription();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponseWriter.WriteAsync })
            .WithMetadata(ProbeMethods);
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
        }).WithMetadata(ProbeMethods);
        return app;
    }
}
