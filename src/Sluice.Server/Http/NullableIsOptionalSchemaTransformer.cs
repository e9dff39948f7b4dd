using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Sluice.Server.Http;

/// <summary>
/// The schema exporter lists every constructor parameter of a contract record as required, optional ones included. In
/// Sluice's contracts a nullable field is one that may be left out (bodies treat null as absent; responses omit null
/// fields), so it is taken off <c>required</c>: a client generated from the document would otherwise have to send every
/// optional field, and would find fields missing from answers it was promised.
/// </summary>
internal sealed class NullableIsOptionalSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Required is not { Count: > 0 } required)
        {
            return Task.CompletedTask;
        }

        // Nullability from the CLR contract: the schema of a nullable object is inlined without "null" in its type.
        foreach (var property in context.JsonTypeInfo.Properties)
        {
            if (property.IsSetNullable || Nullable.GetUnderlyingType(property.PropertyType) is not null)
            {
                required.Remove(property.Name);
            }
        }

        return Task.CompletedTask;
    }
}
