namespace Sluice.Core.Models;

/// <summary>One chat turn (OpenAI's <c>messages[]</c>): models with a chat template of their own take these as they are.</summary>
/// <param name="Role"><c>system</c>, <c>user</c>, <c>assistant</c> or <c>tool</c>.</param>
/// <param name="Content">The text of the turn.</param>
public sealed record ChatMessage(string Role, string Content);
