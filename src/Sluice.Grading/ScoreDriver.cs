namespace Sluice.Grading;

/// <summary>
/// A feature that moved the holistic score: its value in this essay, its typical value for the prompt, and its
/// contribution in score points relative to an average essay (positive raised the score).
/// </summary>
internal sealed record ScoreDriver(string Feature, double Value, double Typical, double Effect);
