namespace Sluice.Server.Contracts;

/// <summary>The body of every error of the OpenAI-compatible endpoints: <c>{"error": {...}}</c>.</summary>
public sealed record OpenAiErrorResponse(OpenAiErrorBody Error);
