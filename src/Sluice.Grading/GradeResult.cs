namespace Sluice.Grading;

/// <summary>Everything the grader returns for one essay (serialized with snake_case names; see docs/api.md).</summary>
internal sealed record GradeResult(
    string Model,
    string Version,
    int? PromptId,
    string Mode,
    HolisticScore Score,
    IReadOnlyList<TraitScore> Traits,
    IReadOnlyList<Suggestion> Suggestions,
    EssayStatistics Statistics,
    IReadOnlyList<ScoreDriver> Drivers,
    IReadOnlyList<GradeFlag> Flags);
