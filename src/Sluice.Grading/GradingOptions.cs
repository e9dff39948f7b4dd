using System.ComponentModel.DataAnnotations;

namespace Sluice.Grading;

/// <summary>Configuration of the essay grader (section <c>Sluice:Grading</c>).</summary>
internal sealed record GradingOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Grading";

    /// <summary>Model file to serve instead of the embedded default (written by <c>./sluice grader train</c>).</summary>
    public string? ModelPath { get; init; }

    /// <summary>wamerican word list (Debian package <c>wamerican</c>).</summary>
    public string WordListPath { get; init; } = Spelling.SpellDictionary.DefaultWordList;

    /// <summary>hunspell dictionary (Debian package <c>hunspell-en-us</c>; optional, the .aff must sit beside it).</summary>
    public string HunspellPath { get; init; } = Spelling.SpellDictionary.DefaultHunspell;

    /// <summary>Longest essay accepted by the serving adapter, in words; longer inputs are refused with a 4xx.</summary>
    [Range(1, int.MaxValue)]
    public int MaxWords { get; init; } = EssayGrader.MaxWords;

    /// <summary>Longest <c>prompt_text</c> accepted, in characters.</summary>
    [Range(1, int.MaxValue)]
    public int MaxPromptTextChars { get; init; } = EssayGrader.MaxPromptTextChars;

    /// <summary>Dynamic-batcher defaults (configuration <c>Sluice:Models:essay-grader</c> overrides them, within the same bounds).</summary>
    [Range(1, 4096)]
    public int MaxBatchSize { get; init; } = 32;

    [Range(0d, 60_000d)]
    public double MaxQueueDelayMs { get; init; } = 5;
}
