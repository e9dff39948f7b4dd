using System.Globalization;
using Sluice.Core.Metrics;

namespace Sluice.Server.Hosting;

/// <summary>
/// Counts requests by route template, method and status, times them, and reports the server's own time in a
/// <c>Server-Timing</c> header so clients can tell server latency from network and client-side queueing.
/// </summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, SluiceMetrics metrics, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var start = time.GetTimestamp();
        http.Response.OnStarting(static state =>
        {
            var (ctx, t, begin) = ((HttpContext, TimeProvider, long))state;
            ctx.Response.Headers["Server-Timing"] = "app;dur=" + t.GetElapsedTime(begin).TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        }, (http, time, start));
        try
        {
            await next(http).ConfigureAwait(false);
        }
        finally
        {
            var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            var method = new KeyValuePair<string, object?>("method", MethodLabel(http.Request.Method));
            var routeTag = new KeyValuePair<string, object?>("route", route);
            metrics.HttpRequests.Add(1, routeTag, method, new KeyValuePair<string, object?>("status", http.Response.StatusCode));
            metrics.HttpDuration.Record(time.GetElapsedTime(start).TotalSeconds, routeTag);
        }
    }

    /// <summary>
    /// The method as a label from a fixed set: any token is a valid HTTP method, and one series per made-up method
    /// would let an anonymous client grow /metrics without bound.
    /// </summary>
    private static string MethodLabel(string method) =>
        HttpMethods.IsGet(method) ? HttpMethods.Get
        : HttpMethods.IsPost(method) ? HttpMethods.Post
        : HttpMethods.IsDelete(method) ? HttpMethods.Delete
        : HttpMethods.IsPut(method) ? HttpMethods.Put
        : HttpMethods.IsPatch(method) ? HttpMethods.Patch
        : HttpMethods.IsHead(method) ? HttpMethods.Head
        : HttpMethods.IsOptions(method) ? HttpMethods.Options
        : "other";
}
