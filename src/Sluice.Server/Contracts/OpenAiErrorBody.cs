using System.Text.Json.Serialization;

namespace Sluice.Server.Contracts;

/// <summary>OpenAI's error object: what went wrong, its type, the parameter at fault and a machine-readable code.</summary>
public sealed record OpenAiErrorBody(
    string Message,
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Param,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Code);
