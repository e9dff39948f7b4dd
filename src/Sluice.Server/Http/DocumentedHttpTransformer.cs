using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Sluice.Server.Http;

/// <summary>
/// Puts an endpoint's <see cref="DocumentedParameter"/>s, <see cref="DocumentedResponseHeaders"/> and
/// <see cref="DocumentedEventStream"/> into its OpenAPI operation, and <c>Retry-After</c> on every 503 (transient outages and loading models say when to come back).
/// Runs only when the document is built: the metadata costs requests nothing.
/// </summary>
internal sealed class DocumentedHttpTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        for (var i = 0; i < metadata.Count; i++)
        {
            switch (metadata[i])
            {
                case DocumentedParameter p:
                    operation.Parameters ??= [];
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = p.Name,
                        In = p.In,
                        Description = p.Description,
                        Required = p.Required,
                        Schema = p.Value.ToSchema(),
                    });
                    break;
                case DocumentedResponseHeaders h when operation.Responses is { } responses:
                    foreach (var status in h.Statuses)
                    {
                        // A header promised for a status the endpoint does not declare is a mistake in the mapping.
                        var response = responses.TryGetValue(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var r)
                            ? r
                            : throw new InvalidOperationException($"{context.Description.RelativePath}: response headers documented for {status}, which the endpoint does not declare");
                        foreach (var header in h.Headers)
                        {
                            AddHeader(response, header);
                        }
                    }

                    break;
                case DocumentedEventStream stream when operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse okResponse:
                    okResponse.Content ??= new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal);
                    okResponse.Content["text/event-stream"] = new OpenApiMediaType
                    {
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = stream.Description },
                    };
                    break;
            }
        }

        if (operation.Responses?.TryGetValue("503", out var unavailable) == true)
        {
            AddHeader(unavailable, DocumentedHeader.RetryAfter);
        }

        return Task.CompletedTask;
    }

    /// <summary>Adds <paramref name="header"/> to <paramref name="response"/> unless it already names it.</summary>
    public static void AddHeader(IOpenApiResponse response, DocumentedHeader header)
    {
        if (response is not OpenApiResponse concrete)
        {
            return;
        }

        concrete.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.OrdinalIgnoreCase);
        concrete.Headers.TryAdd(header.Name, new OpenApiHeader { Description = header.Description, Schema = header.Value.ToSchema() });
    }
}
