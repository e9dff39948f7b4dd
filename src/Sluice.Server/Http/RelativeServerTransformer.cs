using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Sluice.Server.Http;

/// <summary>
/// Leaves the OpenAPI document's <c>servers</c> out, which OpenAPI reads as <c>/</c>: the API wherever the document
/// was fetched from. ASP.NET Core fills it from the request, which echoes whatever <c>Host</c> a client sent into a
/// cacheable document and, behind a proxy, tells internet clients the gateway's internal address and port.
/// </summary>
internal sealed class RelativeServerTransformer : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Servers = null;
        return Task.CompletedTask;
    }
}
