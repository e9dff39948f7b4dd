using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Server.Contracts;

/// <summary>The body of <c>POST /v1/tasks/{name}</c> (documentation type; the handler validates field by
/// field: null is the same as left out, integers are read by value, 3.0 being 3).</summary>
/// <param name="Input">The task's fields, as <c>GET /v1/tasks/{name}</c> lists them in its input schema.</param>
/// <param name="Model">A generative model to run the task on instead of the template's default.</param>
/// <param name="Version">The template version the caller expects; any other is a 400.</param>
/// <param name="Priority">high, normal (default) or low.</param>
/// <param name="Lane">One of the template's named lanes (each maps to a priority).</param>
/// <param name="DeadlineMs">Milliseconds from now (1 to 86,400,000) after which the job is expired instead of run.</param>
/// <param name="MaxTokens">Tokens to generate at most (default: the template's).</param>
/// <param name="Temperature">0 (greedy) to 2.</param>
/// <param name="Seed">Sampling seed: the same seed gives the same text.</param>
/// <param name="RequestId">1–200 visible ASCII characters (no spaces); the same id and body give the same job (idempotency); not together with an Idempotency-Key header (400).</param>
/// <param name="Cache">False bypasses the result cache.</param>
// The handler refuses any other field (400 naming it); this puts additionalProperties: false in the OpenAPI schema.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RunTaskBody(JsonElement Input, string? Model, int? Version, string? Priority, string? Lane, int? DeadlineMs, int? MaxTokens, float? Temperature, ulong? Seed, string? RequestId, bool? Cache);
