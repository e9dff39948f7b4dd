namespace Sluice.Grading.Serving;

/// <summary>A validated job input of the <c>essay-grader</c> model.</summary>
internal sealed record EssayInput(string Text, int? PromptId, string? PromptText)
{
    public EssayRequest ToRequest() => new(Text, PromptId, PromptText);
}
