namespace Sluice.Grading;

/// <summary>One trait score on its own scale.</summary>
internal sealed record TraitScore(string Key, string Label, int Score, int Min, int Max);
