namespace Sluice.Grading;

/// <summary>What to grade: the essay, and the ASAP prompt (1..8) or null for the prompt-independent mode.</summary>
internal sealed record EssayRequest(string Text, int? PromptId = null, string? PromptText = null);
