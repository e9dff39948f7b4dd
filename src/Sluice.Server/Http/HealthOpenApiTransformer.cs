using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Sluice.Server.Http;

/// <summary>
/// Puts the health probes into the OpenAPI document: <c>MapHealthChecks</c> endpoints are not route handlers, so the
/// API explorer never sees them, and Kubernetes users and generated clients had no <c>/health/live</c> or
/// <c>/health/ready</c>. Both answer GET with the body <see cref="Hosting.HealthResponseWriter"/> writes: 200 while
/// healthy or degraded, 503 when a readiness check is unhealthy (stopping, store or broker down). HEAD, answered too, is
/// left out as for every endpoint (GET implies it); any other method is routing's 405, undocumented as everywhere. Runs before <see cref="BodyLimitOpenApiTransformer"/>, whose 413
/// the probes answer as well.
/// </summary>
internal sealed class HealthOpenApiTransformer : IOpenApiDocumentTransformer
{
    private const string Schema = "HealthReport";
    private const string Tag = "Operations";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[Schema] = Report();
        document.Paths ??= [];
        // The probes' tag is on no explored operation (/metrics is left out), so the document does not list it yet:
        // the operations' tag references must resolve.
        document.Tags ??= new HashSet<OpenApiTag>();
        if (!document.Tags.Any(static t => t.Name == Tag))
        {
            document.Tags.Add(new OpenApiTag { Name = Tag });
        }

        document.Paths["/health/live"] = Path(document, "Live",
            "Liveness: 200 while the process serves HTTP; runs no checks (a restart would not mend a dependency).", ready: false);
        document.Paths["/health/ready"] = Path(document, "Ready",
            "Readiness: the models, the store (and broker) and shutdown checks; 503 takes the node out of rotation.", ready: true);
        return Task.CompletedTask;
    }

    private static OpenApiPathItem Path(OpenApiDocument document, string name, string summary, bool ready)
    {
        var item = new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation>() };
        item.Operations[HttpMethod.Get] = Operation(document, "Health" + name, summary, ready);
        return item;
    }

    private static OpenApiOperation Operation(OpenApiDocument document, string id, string summary, bool ready)
    {
        var operation = new OpenApiOperation
        {
            OperationId = id,
            Summary = summary,
            Tags = new HashSet<OpenApiTagReference> { new(Tag, document) },
            Responses = new OpenApiResponses { ["200"] = Answer(document, "Healthy or degraded") },
        };
        if (ready)
        {
            operation.Responses["503"] = Answer(document, "A readiness check is unhealthy (its status and description say which)");
        }

        return operation;
    }

    private static OpenApiResponse Answer(OpenApiDocument document, string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/json"] = new() { Schema = new OpenApiSchemaReference(Schema, document) },
        },
    };

    private static OpenApiSchema Report()
    {
        var status = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Enum = [JsonValue.Create("healthy")!, JsonValue.Create("degraded")!, JsonValue.Create("unhealthy")!],
        };
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "status", "checks" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["status"] = status,
                ["checks"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "Each check run, by name (none for /health/live).",
                    AdditionalProperties = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string> { "status" },
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["status"] = status,
                            ["description"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        },
                        // The check's data, each value as a string (the models check: each model's state by name).
                        AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
                    },
                },
            },
        };
    }
}
