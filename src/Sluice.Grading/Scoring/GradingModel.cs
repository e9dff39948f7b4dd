namespace Sluice.Grading.Scoring;

/// <summary>The whole model file: per-prompt models, the prompt-independent model and shared vocabulary statistics.</summary>
internal sealed record GradingModel
{
    /// <summary>Bumped when the file layout changes.</summary>
    public const int CurrentFormat = 4;

    public int Format { get; init; } = CurrentFormat;

    /// <summary>Short content hash, filled in when the file is saved.</summary>
    public string Version { get; init; } = "";

    public required int Seed { get; init; }

    /// <summary>What the model was trained on (fold and essay counts), for the descriptor and the docs.</summary>
    public required string TrainedOn { get; init; }

    /// <summary>Dictionary words by frequency in training essays, most common first (ranks spelling suggestions).</summary>
    public required string[] CommonWords { get; init; }

    public required PromptModel[] Prompts { get; init; }

    public required GenericModel Generic { get; init; }

    /// <summary>Word-order model that detects word salad.</summary>
    public required Integrity.SyntaxModel Syntax { get; init; }

    /// <summary>All-prompt neighbouring- and boundary-sentence models of the shuffled-order detector.</summary>
    public required Integrity.SharedOrderModel SharedOrder { get; init; }

    /// <summary>Which prompt an essay answers (off-topic detection).</summary>
    public required Features.PromptClassifier PromptClassifier { get; init; }

    public PromptModel? ForPrompt(int prompt) => Prompts.FirstOrDefault(p => p.Prompt == prompt);
}
