using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Sluice.Core.Jobs;
using Sluice.Core.Models;
using Sluice.Server.Apis;
using Sluice.Server.Contracts;

namespace Sluice.Server.Http;

/// <summary>
/// Gives the answers' closed string fields their values (a job's <c>status</c> and <c>priority</c>, a model's
/// <c>kind</c>, <c>state</c> and scheduler <c>type</c>, each object's <c>object</c>, an OpenAI error's <c>type</c> and a
/// choice's <c>finish_reason</c>) as enums, taken from the enums and closed sets the server writes them from, and marks as required the members the serializer always writes (non-nullable ones:
/// <c>object</c>, <c>attempts</c>, <c>cached</c>, <c>owned_by</c> …). The contracts type them as plain strings and
/// init-only members, so the document promised free text and optional fields: a generated client had no enum to switch
/// on and made <c>job.Attempts</c> nullable.
/// </summary>
internal sealed class ResponseValuesSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (schema.Properties is not { } properties)
        {
            return Task.CompletedTask;
        }

        if (type == typeof(JobView))
        {
            SetEnum(properties, "status", Enum.GetValues<JobStatus>().Select(static s => s.ToWire()));
            SetEnum(properties, "priority", Enum.GetValues<JobPriority>().Select(static p => p.ToWire()));
            SetEnum(properties, "object", ["job"]);
        }
        else if (type == typeof(ModelView))
        {
            SetEnum(properties, "kind", Enum.GetValues<ModelKind>().Select(ModelsApi.KindName));
            SetEnum(properties, "state", Enum.GetValues<ModelState>().Select(ModelsApi.StateName));
            SetEnum(properties, "object", ["model"]);
        }
        else if (type == typeof(SchedulerView))
        {
            SetEnum(properties, "type", Enum.GetValues<ModelKind>().Select(ModelsApi.SchedulerName));
        }
        else if (type == typeof(JobList) || type == typeof(ModelList))
        {
            SetEnum(properties, "object", ["list"]);
        }
        else if (type == typeof(OpenAiErrorBody))
        {
            SetEnum(properties, "type", OpenAiErrorTypes.All);
        }
        else if (type == typeof(OpenAiChatChoice) || type == typeof(OpenAiCompletionChoice))
        {
            SetEnum(properties, "finish_reason", OpenAiFinishReasons.All);
        }
        else
        {
            return Task.CompletedTask;
        }

        // Always written: not null (the serializer omits only nulls) and so never missing.
        schema.Required ??= new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in context.JsonTypeInfo.Properties)
        {
            if ((property.Get is not null && !property.IsGetNullable)
                || (properties.TryGetValue(property.Name, out var s) && s is OpenApiSchema { Enum.Count: 1 }))
            {
                schema.Required.Add(property.Name);
            }
        }

        return Task.CompletedTask;
    }

    private static void SetEnum(IDictionary<string, IOpenApiSchema> properties, string name, IEnumerable<string> values)
    {
        if (properties.TryGetValue(name, out var p) && p is OpenApiSchema property)
        {
            property.Type = JsonSchemaType.String;
            property.Enum = [.. values.Distinct(StringComparer.Ordinal).Select(static v => (JsonNode)JsonValue.Create(v))];
        }
    }
}
