using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Sluice.Server.Http;

/// <summary>
/// Declares the 413 <see cref="BodyLimitMiddleware"/> answers on every operation that reads no body (a body over
/// <see cref="BodyLimitMiddleware.NoBodyMaxBytes"/> bytes sent anyway). The operations with a body declare their own
/// 413 (<see cref="JsonBody"/>'s limit); without this the document promised none for the rest.
/// </summary>
internal sealed class BodyLimitOpenApiTransformer : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var (_, item) in document.Paths)
        {
            if (item.Operations is null)
            {
                continue;
            }

            foreach (var operation in item.Operations.Values)
            {
                if (operation.RequestBody is not null)
                {
                    continue;
                }

                operation.Responses ??= [];
                operation.Responses.TryAdd("413", new OpenApiResponse
                {
                    Description = $"Payload Too Large: this endpoint reads no request body, and one of more than {BodyLimitMiddleware.NoBodyMaxBytes} bytes is refused (field 'body')",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", document) },
                    },
                });
            }
        }

        return Task.CompletedTask;
    }
}
