namespace Sluice.Server.Contracts;

/// <summary>The assistant's message in a chat completion.</summary>
public sealed record OpenAiChatMessage(string Role, string Content);
