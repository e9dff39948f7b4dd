namespace Sluice.Grading.Data;

/// <summary>One trait of a prompt: a stable key for JSON, the label the data set uses, and its integer range.</summary>
internal sealed record TraitScale(string Key, string Label, int Min, int Max);
