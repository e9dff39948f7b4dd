namespace Sluice.Grading;

/// <summary>The progress stages of grading, in order.</summary>
internal static class GradingStages
{
    public const string Spelling = "spelling";
    public const string Grammar = "grammar";
    public const string Structure = "structure";
    public const string Scoring = "scoring";
    public const string Feedback = "feedback";

    public static readonly string[] All = [Spelling, Grammar, Structure, Scoring, Feedback];
}
