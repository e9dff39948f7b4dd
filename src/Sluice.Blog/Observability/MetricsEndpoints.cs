using Sluice.Core.Metrics;

namespace Sluice.Blog.Observability;

/// <summary><c>GET /metrics</c>: Prometheus text exposition (version 0.0.4).</summary>
internal static class MetricsEndpoints
{
    public static IEndpointRouteBuilder MapBlogMetrics(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/metrics", (BlogMetrics metrics) => Results.Text(metrics.Render(), PrometheusExporter.TextContentType));
        return routes;
    }
}
