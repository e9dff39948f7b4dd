using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.OutputCaching;

namespace Sluice.Blog.Observability;

/// <summary>
/// Counts and times every request by its route pattern; for the output-cached pages, whether the cache answered
/// (its answers carry <c>Age</c>). Sits before the output cache so cached answers are counted too.
/// </summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, BlogMetrics metrics)
{
    /// <summary>Label by route pattern, made once per route.</summary>
    private static readonly ConcurrentDictionary<string, string> Labels = new(StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var endpoint = context.GetEndpoint();
            var route = (endpoint as RouteEndpoint)?.RoutePattern.RawText is { } pattern ? Labels.GetOrAdd(pattern, static p => RouteLabel(p)) : "unmatched";
            bool? cacheHit = null;
            if (endpoint?.Metadata.GetMetadata<IOutputCachePolicy>() is not null && context.User.Identity?.IsAuthenticated != true
                && context.Response.StatusCode == StatusCodes.Status200OK)
            {
                cacheHit = context.Response.Headers.Age.Count > 0;
            }

            metrics.Request(new RequestKey(route, Method(context.Request.Method), context.Response.StatusCode), Stopwatch.GetElapsedTime(started).TotalSeconds, cacheHit);
        }
    }

    /// <summary><c>/posts/{id:long}/edit</c> as <c>/posts/:id/edit</c>: no braces in a label value, which simple scrapers split on.</summary>
    internal static string RouteLabel(string pattern)
    {
        var label = new StringBuilder(pattern.Length);
        var i = 0;
        while (i < pattern.Length)
        {
            if (pattern[i] != '{')
            {
                label.Append(pattern[i++]);
                continue;
            }

            var end = pattern.IndexOf('}', i);
            if (end < 0)
            {
                label.Append(pattern, i, pattern.Length - i);
                break;
            }

            var name = pattern[(i + 1)..end];
            var colon = name.IndexOf(':', StringComparison.Ordinal);
            label.Append(':').Append(colon < 0 ? name : name[..colon]);
            i = end + 1;
        }

        return label.ToString();
    }

    // A client may send any method name: unknown ones share one label so the series stay bounded.
    private static string Method(string method) =>
        HttpMethods.IsGet(method) ? HttpMethods.Get
        : HttpMethods.IsPost(method) ? HttpMethods.Post
        : HttpMethods.IsHead(method) ? HttpMethods.Head
        : HttpMethods.IsPut(method) ? HttpMethods.Put
        : HttpMethods.IsDelete(method) ? HttpMethods.Delete
        : "OTHER";
}
