using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Sluice.Core.Jobs;
using Sluice.Server.Apis;
using Sluice.Server.Contracts;

namespace Sluice.Server.Http;

/// <summary>
/// Puts the limits the body parsers enforce into the request schemas: the priority values, the model name's
/// alphabet and length, <c>deadline_ms</c> 1 to 86,400,000, <c>max_tokens</c> at least 1, <c>temperature</c> 0 to 2,
/// <c>top_p</c> in (0, 1], a seed not negative, the essay's <c>prompt_id</c> 1 to 8, a non-empty <c>messages</c>,
/// <c>user</c> and <c>request_id</c> lengths.
/// The documentation records type them only as strings and numbers, so a body valid by the document was a 400, and a
/// generated client had no enum for the priority.
/// </summary>
internal sealed class RequestConstraintsSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (schema.Properties is not { } p)
        {
            return Task.CompletedTask;
        }

        if (type == typeof(SubmitJobBody) || type == typeof(RunTaskBody))
        {
            Set(p, "model", static s =>
            {
                s.MinLength = 1;
                s.MaxLength = SubmitParser.MaxModelNameLength;
                s.Pattern = "^[a-z0-9._-]+$";
            });
            Priority(p);
            Set(p, "deadline_ms", static s => Bounds(s, 1, SubmitParser.MaxDeadlineMs));
        }

        if (type == typeof(EssayBody))
        {
            Priority(p);
            // The grader refuses any other prompt: it knows the eight ASAP prompts (null grades prompt-independently).
            Set(p, "prompt_id", static s => Bounds(s, 1, 8));
        }

        if (type == typeof(RunTaskBody))
        {
            Set(p, "max_tokens", static s => Bounds(s, 1, null));
            Set(p, "temperature", static s => Bounds(s, 0, 2));
            Set(p, "seed", static s => Bounds(s, 0, null));
            Set(p, "request_id", static s =>
            {
                s.MinLength = 1;
                s.MaxLength = TasksApi.MaxRequestIdLength;
                s.Pattern = "^[\\x21-\\x7E]+$";
            });
        }

        if (type == typeof(OpenAiChatBody) || type == typeof(OpenAiCompletionBody))
        {
            Set(p, "model", static s => s.MinLength = 1);
            Set(p, "messages", static s => s.MinItems = 1);
            Set(p, "max_tokens", static s => Bounds(s, 1, null));
            Set(p, "max_completion_tokens", static s => Bounds(s, 1, null));
            Set(p, "temperature", static s => Bounds(s, 0, 2));
            Set(p, "top_p", static s =>
            {
                s.ExclusiveMinimum = "0";
                s.Maximum = "1";
            });
            Set(p, "seed", static s => Bounds(s, 0, null));
            Set(p, "user", static s => s.MaxLength = OpenAiRequestParser.MaxUserLength);
        }

        return Task.CompletedTask;
    }

    private static void Priority(IDictionary<string, IOpenApiSchema> properties) => Set(properties, "priority", static s =>
    {
        // Null is a priority left out (normal), as for every optional field of these bodies.
        s.Enum = [.. Enum.GetValues<JobPriority>().Select(static v => (JsonNode)JsonValue.Create(v.ToWire())), null!];
    });

    private static void Bounds(OpenApiSchema s, long minimum, long? maximum)
    {
        s.Minimum = minimum.ToString(CultureInfo.InvariantCulture);
        s.Maximum = maximum?.ToString(CultureInfo.InvariantCulture);
    }

    private static void Set(IDictionary<string, IOpenApiSchema> properties, string name, Action<OpenApiSchema> constrain)
    {
        if (properties.TryGetValue(name, out var property) && property is OpenApiSchema schema)
        {
            constrain(schema);
        }
    }
}
