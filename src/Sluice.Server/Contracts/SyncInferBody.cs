using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Server.Contracts;

/// <summary>Body of the synchronous inference endpoint.</summary>
/// <param name="Input">The model's input.</param>
// The handler refuses any other field (400 naming it); this puts additionalProperties: false in the OpenAPI schema.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SyncInferBody(JsonElement Input);
