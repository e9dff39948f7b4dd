using Sluice.Core.Metrics;

namespace Sluice.Server.Hosting;

/// <summary>Counts requests by route template, method and status, and times them.</summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, SluiceMetrics metrics, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var start = time.GetTimestamp();
        try
        {
            await next(http).ConfigureAwait(false);
        }
        finally
        {
            var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            var method = new KeyValuePair<string, object?>("method", http.Request.Method);
            var routeTag = new KeyValuePair<string, object?>("route", route);
            metrics.HttpRequests.Add(1, routeTag, method, new KeyValuePair<string, object?>("status", http.Response.StatusCode));
            metrics.HttpDuration.Record(time.GetElapsedTime(start).TotalSeconds, routeTag);
        }
    }
}
