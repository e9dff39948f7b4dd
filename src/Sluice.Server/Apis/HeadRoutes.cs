using System.Diagnostics.CodeAnalysis;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>
/// HEAD wherever GET answers with a document (RFC 9110 asks it of every general-purpose server; uptime probes and
/// link checkers use it). Kestrel sends a HEAD answer's headers and drops its body, so the GET handler serves both.
/// Not for streams (a job's events), whose GET only ends with the job.
/// </summary>
internal static class HeadRoutes
{
    private static readonly string[] Head = [HttpMethods.Head];

    /// <summary>
    /// Maps GET and a HEAD twin of it. The twin stays out of the OpenAPI document, which would otherwise list each
    /// operation twice under one operationId, and takes the query parameters documented on the GET.
    /// </summary>
    public static RouteHandlerBuilder MapGetAndHead(this IEndpointRouteBuilder routes, [StringSyntax("Route")] string pattern, Delegate handler)
    {
        var query = new QueryParameterNames();
        routes.MapMethods(pattern, Head, handler).ExcludeFromDescription().WithMetadata(query);
        var get = routes.MapGet(pattern, handler);
        // Finally: after the caller's conventions, which document the parameters.
        get.Finally(query.CopyFrom);
        return get;
    }

    /// <summary>
    /// Lets an endpoint mapped for GET alone answer HEAD too: for endpoints outside the OpenAPI document (the page,
    /// <c>/metrics</c>, the document itself), which list no operations that a HEAD could double.
    /// </summary>
    public static TBuilder AllowHead<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(static endpoint =>
        {
            for (var i = 0; i < endpoint.Metadata.Count; i++)
            {
                if (endpoint.Metadata[i] is HttpMethodMetadata { HttpMethods: [var only] } m && only == HttpMethods.Get)
                {
                    endpoint.Metadata[i] = new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head], m.AcceptCorsPreflight);
                }
            }
        });
        return builder;
    }
}
