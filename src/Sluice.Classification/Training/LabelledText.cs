namespace Sluice.Classification.Training;

/// <summary>One training example: a sentence and its label.</summary>
internal readonly record struct LabelledText(string Text, string Label);
