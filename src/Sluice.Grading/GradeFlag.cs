namespace Sluice.Grading;

/// <summary>A flag in the result: code, explanation and effect on the score ("info", "penalty", "minimum").</summary>
internal sealed record GradeFlag(string Code, string Message, string Effect);
