namespace Sluice.Server.Contracts;

/// <summary>One choice of a text completion.</summary>
public sealed record OpenAiCompletionChoice(int Index, string Text, string FinishReason);
