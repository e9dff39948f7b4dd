namespace Sluice.Server.Contracts;

/// <summary><c>POST /v1/completions</c> without streaming.</summary>
public sealed record OpenAiCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<OpenAiCompletionChoice> Choices, OpenAiUsage Usage);
