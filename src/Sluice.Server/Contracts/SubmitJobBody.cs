using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Server.Contracts;

/// <summary>The body of <c>POST /v1/jobs</c> (documentation type; the handler validates field by field).</summary>
/// <param name="Model">Model name from <c>GET /v1/models</c>.</param>
/// <param name="Input">The model's input. A generation model's fields are all optional (null is the same as left out); integers are read by value (3.0 is 3, 3.5 a 400).</param>
/// <param name="Priority">high, normal (default) or low.</param>
/// <param name="DeadlineMs">Milliseconds from now (an integral number, 1 to 86,400,000) after which the job is expired instead of run.</param>
/// <param name="Cache">False bypasses the result cache.</param>
// The handler refuses any other field (400 naming it); this puts additionalProperties: false in the OpenAPI schema.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SubmitJobBody(string Model, JsonElement Input, string? Priority, int? DeadlineMs, bool? Cache);
