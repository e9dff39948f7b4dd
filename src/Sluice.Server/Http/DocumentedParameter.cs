using Microsoft.OpenApi;

namespace Sluice.Server.Http;

/// <summary>
/// Endpoint metadata: a query parameter or request header the handler parses itself. Handlers read these from the
/// request rather than binding them, so a bad value is a 400 naming it in the API's words; the OpenAPI document
/// cannot infer them and takes them from here (<see cref="DocumentedHttpTransformer"/>).
/// </summary>
internal sealed record DocumentedParameter(string Name, ParameterLocation In, string Description, DocumentedValue Value)
{
    /// <summary>True when the handler refuses a request without it (most are optional).</summary>
    public bool Required { get; init; }
}
