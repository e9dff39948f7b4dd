namespace Sluice.Server.Contracts;

/// <summary><c>POST /v1/chat/completions</c> without streaming.</summary>
public sealed record OpenAiChatCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<OpenAiChatChoice> Choices, OpenAiUsage Usage);
