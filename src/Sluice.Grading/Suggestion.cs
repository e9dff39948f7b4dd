namespace Sluice.Grading;

/// <summary>
/// One piece of feedback: a category (spelling, grammar, punctuation, capitalization, style, structure, vocabulary),
/// the rule that fired, a sentence for the student, the character span [Start, Start + Length) it refers to and a
/// replacement when there is one.
/// </summary>
internal sealed record Suggestion(string Category, string Rule, string Message, int Start, int Length, string? Replacement = null);
