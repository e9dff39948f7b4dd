namespace Sluice.Server.Contracts;

/// <summary>Token counts of one completion.</summary>
public sealed record OpenAiUsage(int PromptTokens, int CompletionTokens, int TotalTokens);
