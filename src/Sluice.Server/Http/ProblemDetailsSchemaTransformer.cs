using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Sluice.Server.Http;

/// <summary>
/// Adds the extension members the API writes to the <c>ProblemDetails</c> schema: <c>field</c> (the field at fault),
/// <c>errors</c> (the same, in ASP.NET's validation-problem shape) and <c>trace_id</c>. They live in the
/// <see cref="ProblemDetails.Extensions"/> map, which the schema exporter cannot see into, so a generated client had
/// no property for the one member that tells it what to fix.
/// </summary>
internal sealed class ProblemDetailsSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (!typeof(ProblemDetails).IsAssignableFrom(context.JsonTypeInfo.Type))
        {
            return Task.CompletedTask;
        }

        schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
        schema.Properties.TryAdd("field", new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description = "The field at fault, when one is: a JSON path into the body as the client wrote it (input.n, text), "
                + "a query parameter (limit) or a header (Idempotency-Key, Authorization).",
        });
        schema.Properties.TryAdd("errors", new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "With field: {field: [detail]}, as ASP.NET Core's validation problems write it.",
            AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
        });
        schema.Properties.TryAdd("trace_id", new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description = "The request's W3C trace context, to find it in the server's logs and traces.",
        });
        return Task.CompletedTask;
    }
}
