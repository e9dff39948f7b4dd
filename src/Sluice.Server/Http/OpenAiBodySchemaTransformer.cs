using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Sluice.Server.Contracts;

namespace Sluice.Server.Http;

/// <summary>
/// Gives the OpenAI request fields that take more than one JSON shape their real schema: a message's <c>content</c>
/// (a string or text parts), its <c>role</c> (the five the parser takes), <c>stop</c> (a string or up to 16), a
/// completion's <c>prompt</c> (a string or an array of one) and <c>stream_options</c> (an object or null). The documentation records can type each only one way, so the
/// document refused requests the server and docs/api.md accept (text parts, <c>"stop": "\n"</c>).
/// </summary>
internal sealed class OpenAiBodySchemaTransformer : IOpenApiSchemaTransformer
{
    private const int MaxStops = 16;

    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (schema.Properties is not { } properties)
        {
            return Task.CompletedTask;
        }

        if (type == typeof(OpenAiChatMessageBody))
        {
            properties["role"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "Who wrote the message.",
                Enum = ["system", "developer", "user", "assistant", "tool"],
            };
            properties["content"] = new OpenApiSchema
            {
                Description = "The message text: a string, or an array of text parts joined (other part types are refused); null is empty.",
                OneOf =
                [
                    new OpenApiSchema { Type = JsonSchemaType.String },
                    new OpenApiSchema
                    {
                        Type = JsonSchemaType.Array,
                        Items = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Required = new HashSet<string>(StringComparer.Ordinal) { "type", "text" },
                            Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                            {
                                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = ["text"] },
                                ["text"] = new OpenApiSchema { Type = JsonSchemaType.String },
                            },
                        },
                    },
                    new OpenApiSchema { Type = JsonSchemaType.Null },
                ],
            };
        }
        else if (type == typeof(OpenAiChatBody) || type == typeof(OpenAiCompletionBody))
        {
            properties["stop"] = new OpenApiSchema
            {
                Description = $"A stop sequence, or up to {MaxStops} (a string or an array of strings).",
                OneOf =
                [
                    new OpenApiSchema { Type = JsonSchemaType.String },
                    new OpenApiSchema { Type = JsonSchemaType.Array, MaxItems = MaxStops, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                    new OpenApiSchema { Type = JsonSchemaType.Null },
                ],
            };
            // The schema of a nullable object is inlined without "null" (see NullableIsOptionalSchemaTransformer), yet
            // null is the same as leaving it out here, as for every optional OpenAI parameter.
            if (properties.TryGetValue("stream_options", out var streamOptions) && streamOptions is OpenApiSchema inlined && inlined.Type is { } t)
            {
                inlined.Type = t | JsonSchemaType.Null;
            }

            if (type == typeof(OpenAiCompletionBody))
            {
                properties["prompt"] = new OpenApiSchema
                {
                    Description = "The text to continue (or an array of exactly one string; token arrays and batches are refused).",
                    OneOf =
                    [
                        new OpenApiSchema { Type = JsonSchemaType.String },
                        new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, MaxItems = 1, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                    ],
                };
            }
        }

        return Task.CompletedTask;
    }
}
