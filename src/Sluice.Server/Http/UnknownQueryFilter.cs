using Sluice.Core.Models;

namespace Sluice.Server.Http;

/// <summary>
/// Refuses a query parameter the endpoint does not take: 400 naming it (<c>field</c>) and listing those it takes. Ignored,
/// a filter the endpoint does not have reads as applied (<c>GET /v1/dead-letters?status=failed</c> listed every dead
/// letter) and a misspelt one (<c>limt</c>) as honoured, as Stripe refuses an unknown parameter. The parameters an
/// endpoint takes are those it documents (<see cref="DocumentedParameter"/>), so the OpenAPI document and this check
/// cannot disagree. Only <c>_</c> passes besides: jQuery's cache-buster (<c>cache: false</c>), which names nothing to
/// misread. Endpoints with <see cref="AnyQueryAccepted"/> (the OpenAI-compatible ones) are left alone.
/// </summary>
internal sealed class UnknownQueryFilter : IEndpointFilter
{
    public const string CacheBuster = "_";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        // Most requests carry no query: then nothing is read.
        if (!request.QueryString.HasValue || context.HttpContext.GetEndpoint()?.Metadata is not { } metadata)
        {
            return next(context);
        }

        var twin = metadata.GetMetadata<QueryParameterNames>();
        if (twin?.AnyAccepted ?? metadata.GetMetadata<AnyQueryAccepted>() is not null)
        {
            return next(context);
        }

        var taken = twin?.Names ?? QueryParameterNames.Of(metadata);
        foreach (var (name, _) in request.Query)
        {
            if (name.Length > 0 && name != CacheBuster && !Contains(taken, name))
            {
                var takes = taken.Count == 0 ? "takes no query parameters" : "takes " + string.Join(", ", taken);
                var shown = ClientText.Echo(name);
                return ValueTask.FromResult<object?>(Problems.BadRequest(shown, $"unknown query parameter '{shown}'; {request.Method} {request.Path} {takes}"));
            }
        }

        return next(context);
    }

    // Case-insensitive, as the handlers read the query (IQueryCollection).
    private static bool Contains(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
