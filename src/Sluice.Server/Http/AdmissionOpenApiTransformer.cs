using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Sluice.Server.Admission;

namespace Sluice.Server.Http;

/// <summary>
/// Describes admission in the OpenAPI document: every <c>/v1</c> operation passes the admission filter, so it may
/// answer 401 (keys configured, none or a wrong one sent) and 429 (the key's request rate), and it takes the key as
/// <c>Authorization: Bearer</c> or <c>X-Api-Key</c> (a job's event streams also take its <c>stream_token</c>); the 401 carries <c>WWW-Authenticate</c>, the 429
/// <c>Retry-After</c>. Endpoints declare only their own answers; without this the document promised neither, and a
/// generated client had nowhere to put the key. Anonymous access (the empty requirement) is listed only when the
/// server has no keys: with keys the filter refuses a request without one, and the document must not say otherwise.
/// </summary>
internal sealed class AdmissionOpenApiTransformer(ApiKeyAuthenticator auth) : IOpenApiDocumentTransformer
{
    private const string Bearer = "bearer";
    private const string ApiKey = "api_key";
    private const string StreamToken = "stream_token";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A Sluice API key (Sluice:Auth:Keys); needed only when the server has keys configured.",
        };
        document.Components.SecuritySchemes[ApiKey] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "X-Api-Key",
            Description = "The same API key in a header of its own, for clients that cannot send Authorization.",
        };
        document.Components.SecuritySchemes[StreamToken] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Query,
            Name = StreamTokens.QueryName,
            Description = "A job's read-only stream token (stream_token of its view), accepted only by that job's event streams "
                + "(GET /v1/jobs/{id}/events and /ws) until it expires: for browsers, whose EventSource cannot send a key.",
        };

        foreach (var (path, item) in document.Paths)
        {
            if (!path.StartsWith("/v1/", StringComparison.Ordinal) || item.Operations is null)
            {
                continue;
            }

            foreach (var operation in item.Operations.Values)
            {
                operation.Security =
                [
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] },
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKey, document)] = [] },
                ];
                if (operation.OperationId is "JobEvents" or "JobEventsWebSocket")
                {
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(StreamToken, document)] = [] });
                }

                if (!auth.Enabled)
                {
                    // The empty requirement: a server without keys (the default, on loopback) needs none. The key
                    // schemes stay, so a client generated against it also works against a server with keys.
                    operation.Security.Add(new OpenApiSecurityRequirement());
                }

                operation.Responses ??= [];
                // The OpenAI-compatible endpoints declare their own 401 and 429 (in OpenAI's error shape): kept.
                operation.Responses.TryAdd("401", Problem(document, "Unauthorized: keys are configured and none or a wrong one was sent"));
                operation.Responses.TryAdd("429", Problem(document, "Too Many Requests: the key's request rate is used up (Retry-After)"));
                // Whoever declared them, the filter's refusals carry these headers.
                DocumentedHttpTransformer.AddHeader(operation.Responses["401"], DocumentedHeader.WwwAuthenticate);
                DocumentedHttpTransformer.AddHeader(operation.Responses["429"], DocumentedHeader.RetryAfter);
            }
        }

        return Task.CompletedTask;
    }

    private static OpenApiResponse Problem(OpenApiDocument document, string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", document) },
        },
    };
}
