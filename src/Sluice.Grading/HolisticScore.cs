namespace Sluice.Grading;

/// <summary>
/// The holistic score on the prompt's own scale (<c>score</c> in [min, max]), the same on 0–1 (<c>normalized</c>) and
/// the model's continuous value before mapping to the scale (<c>raw</c>). In prompt-independent mode min = 0, max = 1
/// and score is null.
/// </summary>
internal sealed record HolisticScore(int? Score, int Min, int Max, double Normalized, double Raw);
