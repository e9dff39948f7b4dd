namespace Sluice.Server.Contracts;

/// <summary>One choice of a chat completion (Sluice always returns one).</summary>
public sealed record OpenAiChatChoice(int Index, OpenAiChatMessage Message, string FinishReason);
