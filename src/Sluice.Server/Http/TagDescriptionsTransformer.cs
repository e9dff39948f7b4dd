using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Sluice.Server.Http;

/// <summary>
/// Describes each operation tag in the document's <c>tags</c>: documentation viewers show the text above each group,
/// and linters (redocly's recommended rules) warn about tags without one.
/// </summary>
internal sealed class TagDescriptionsTransformer : IOpenApiDocumentTransformer
{
    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.Ordinal)
    {
        ["Jobs"] = "Submit work to any model, follow its events (SSE or WebSocket), read, wait for or cancel it.",
        ["Models"] = "The models this server serves, their state, scheduler and queue, and direct inference.",
        ["Tasks"] = "Named prompt tasks (blog outlines and the like) run on a generative model as jobs.",
        ["Essays"] = "Automated essay grading (ASAP prompts 1 to 8 or prompt-independent), submitted as jobs.",
        ["Dead letters"] = "Jobs that failed for good: list, inspect and requeue them.",
        ["OpenAI"] = "OpenAI-compatible chat and text completions, in OpenAI's request, answer and error shapes.",
        ["Operations"] = "Health probes for load balancers and Kubernetes (outside /v1, no API key).",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Tags ??= new HashSet<OpenApiTag>();
        foreach (var (name, description) in Descriptions)
        {
            var tag = document.Tags.FirstOrDefault(t => t.Name == name);
            if (tag is null)
            {
                // Listed only where an operation carries it (Operations comes from the health transformer's probes).
                continue;
            }

            tag.Description = description;
        }

        return Task.CompletedTask;
    }
}
