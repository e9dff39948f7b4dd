namespace Sluice.Grading.Data;

/// <summary>One scored ASAP essay: holistic score and, where the data has them, trait scores in the prompt's trait order.</summary>
internal sealed record AsapEssay(int Id, int Prompt, string Text, int Score, int[]? Traits);
