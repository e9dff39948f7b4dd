namespace Sluice.Blog.Drafting;

/// <summary>The outline Sluice wrote for a title, or a refusal as for a draft (<see cref="DraftStart"/>'s fields).</summary>
internal sealed record OutlineAnswer(string? Outline, int Status, string? Field, string? Detail, string? RetryAfter);
