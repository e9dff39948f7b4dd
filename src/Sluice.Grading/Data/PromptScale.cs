namespace Sluice.Grading.Data;

/// <summary>Score scale of one ASAP prompt: holistic range and the names and ranges of its traits.</summary>
internal sealed record PromptScale(int Prompt, int Min, int Max, IReadOnlyList<TraitScale> Traits)
{
    /// <summary>The eight ASAP prompts (ranges from shared/README.md; traits from ASAP++ and the rater trait columns).</summary>
    public static IReadOnlyList<PromptScale> All { get; } =
    [
        new(1, 2, 12, Persuasive(1, 6)),
        new(2, 1, 6, Persuasive(1, 6)),
        new(3, 0, 3, SourceBased(0, 3)),
        new(4, 0, 3, SourceBased(0, 3)),
        new(5, 0, 4, SourceBased(0, 4)),
        new(6, 0, 4, SourceBased(0, 4)),
        // Prompts 7-8 traits are rater1 + rater2 (the usual convention in trait-scoring papers).
        new(7, 0, 30, [new("ideas", "Ideas", 0, 6), new("organization", "Organization", 0, 6), new("style", "Style", 0, 6), new("conventions", "Conventions", 0, 6)]),
        new(8, 0, 60,
        [
            new("content", "Ideas and Content", 2, 12), new("organization", "Organization", 2, 12), new("voice", "Voice", 2, 12),
            new("word_choice", "Word Choice", 2, 12), new("sentence_fluency", "Sentence Fluency", 2, 12), new("conventions", "Conventions", 2, 12),
        ]),
    ];

    public static PromptScale Get(int prompt) =>
        prompt is >= 1 and <= 8 ? All[prompt - 1] : throw new ArgumentOutOfRangeException(nameof(prompt), prompt, "ASAP prompts are 1..8");

    /// <summary>Maps a score on this scale to 0..1.</summary>
    public double Normalize(double score) => (score - Min) / (Max - Min);

    private static TraitScale[] Persuasive(int min, int max) =>
    [
        new("content", "Content", min, max), new("organization", "Organization", min, max), new("word_choice", "Word Choice", min, max),
        new("sentence_fluency", "Sentence Fluency", min, max), new("conventions", "Conventions", min, max),
    ];

    private static TraitScale[] SourceBased(int min, int max) =>
    [
        new("content", "Content", min, max), new("prompt_adherence", "Prompt Adherence", min, max),
        new("language", "Language", min, max), new("narrativity", "Narrativity", min, max),
    ];
}
