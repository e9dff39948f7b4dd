using System.Text.Json.Serialization;

namespace Sluice.Server.Contracts;

/// <summary>Source-generated JSON for the OpenAI-compatible endpoints (snake_case as OpenAI writes it).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OpenAiErrorResponse))]
[JsonSerializable(typeof(OpenAiChatCompletion))]
[JsonSerializable(typeof(OpenAiCompletion))]
internal sealed partial class OpenAiJsonContext : JsonSerializerContext;
