using System.Text.Json.Serialization;

namespace Sluice.Server.Contracts;

/// <summary>Body of <c>POST /v1/essays</c>.</summary>
/// <param name="PromptId">ASAP prompt 1–8, or null for an unknown prompt (scored on a normalised 0–1 scale).</param>
/// <param name="PromptText">The assignment text, optional.</param>
/// <param name="Text">The essay.</param>
/// <param name="Priority">high, normal or low.</param>
/// <param name="Cache">false grades again instead of answering from the result cache (default true).</param>
// The handler refuses any other field (400 naming it); this puts additionalProperties: false in the OpenAPI schema.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record EssayBody(int? PromptId, string? PromptText, string Text, string? Priority, bool? Cache);
