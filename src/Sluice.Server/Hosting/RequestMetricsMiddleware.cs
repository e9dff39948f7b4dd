using System.Collections.Concurrent;
using System.Globalization;
using Sluice.Core.Metrics;

namespace Sluice.Server.Hosting;

/// <summary>
/// Counts requests by route template, method and status, times them, and reports the server's own time in a
/// <c>Server-Timing</c> header so clients can tell server latency from network and client-side queueing.
/// </summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, SluiceMetrics metrics, TimeProvider time)
{
    /// <summary>Each template's label, computed once: the keys are the server's own route templates, a fixed set.</summary>
    private readonly ConcurrentDictionary<string, string> _labels = new(StringComparer.Ordinal);

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
            var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { } template
                ? _labels.GetOrAdd(template, RouteLabel)
                : "unmatched";
            var method = new KeyValuePair<string, object?>("method", MethodLabel(http.Request.Method));
            var routeTag = new KeyValuePair<string, object?>("route", route);
            metrics.HttpRequests.Add(1, routeTag, method, new KeyValuePair<string, object?>("status", StatusTags.Of(http.Response.StatusCode)));
            metrics.HttpDuration.Record(time.GetElapsedTime(start).TotalSeconds, routeTag);
        }
    }

    /// <summary>
    /// The template as a label: without the trailing slash that a group's own path ("/" under
    /// <c>MapGroup("/v1/jobs")</c>, the empty pattern too) leaves in the combined template, so <c>POST /v1/jobs</c> is
    /// <c>route="/v1/jobs"</c> as the API documents it, not <c>"/v1/jobs/"</c>.
    /// </summary>
    internal static string RouteLabel(string template) =>
        template.Length > 1 && template[^1] == '/' ? template[..^1] : template;

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
