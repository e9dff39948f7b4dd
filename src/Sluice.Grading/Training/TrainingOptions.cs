namespace Sluice.Grading.Training;

/// <summary>Hyper-parameters of training; the same options and data give the same model file.</summary>
internal sealed record TrainingOptions
{
    public int Seed { get; init; } = 2012;

    /// <summary>Largest n-gram vocabulary per prompt (most frequent terms with at least <see cref="MinDocumentFrequency"/> essays).</summary>
    public int VocabularySize { get; init; } = 2500;

    public int MinDocumentFrequency { get; init; } = 3;

    /// <summary>Ridge penalties tried for the n-gram regressor (chosen by inner cross-validation).</summary>
    public double[] NgramLambdas { get; init; } = [0.3, 1, 3];

    /// <summary>Ridge penalty of the heads over standardized features.</summary>
    public double HeadLambda { get; init; } = 5;

    public int InnerFolds { get; init; } = 5;

    /// <summary>Strongest inputs of a prompt's linear holistic head whose squares and pairwise products become extra head inputs (0: linear heads).</summary>
    public int InteractionInputs { get; init; } = 3;

    /// <summary>
    /// Share of a prompt's training essays that must have 2+ paragraphs for its model to read the paragraph features
    /// (<c>paragraphs</c>, <c>words_per_paragraph</c>). ASAP kept the line breaks of only some prompts (prompt 1: 1 essay in
    /// 1,783): below this share a weight would be learned from a handful of essays and applied to every paragraphed
    /// submission, so the model ignores paragraphing instead.
    /// </summary>
    public double ParagraphFeaturesMinShare { get; init; } = 0.1;

    /// <summary>Keywords kept in each prompt's vocabulary profile.</summary>
    public int Keywords { get; init; } = 200;

    /// <summary>Seeded shuffles of each training essay the order detector learns from.</summary>
    public int OrderShuffles { get; init; } = 3;

    /// <summary>Gradient steps of the order detector's logistic regression (its 40-odd correlated inputs converge slowly).</summary>
    public int OrderIterations { get; init; } = 2000;

    /// <summary>Share of all real essays (shorter ones included, which are never flagged) the order detector may flag; sets its threshold on cross-fitted training essays.</summary>
    public double OrderFalseAlarmRate { get; init; } = 0.021;

    /// <summary>Share of the real essays of exactly five sentences the order detector may flag (little evidence, so fewer).</summary>
    public double OrderShortFalseAlarmRate { get; init; } = 0.01;

    /// <summary>Most frequent sentence keys (words, opening words) the sentence-position predictor uses.</summary>
    public int PositionKeys { get; init; } = 800;

    /// <summary>Ridge penalty of the sentence-position predictor.</summary>
    public double PositionLambda { get; init; } = 10;

    /// <summary>Most frequent neighbouring-sentence keys the pair model keeps.</summary>
    public int PairKeys { get; init; } = 2000;

    /// <summary>Random non-neighbours the neighbouring-sentence models learn from per real neighbour.</summary>
    public int PairNegatives { get; init; } = 1;

    /// <summary>Most frequent neighbouring-sentence keys the shared (all-prompt) pair model keeps.</summary>
    public int SharedPairKeys { get; init; } = 4000;

    /// <summary>L2 penalty (per update) of the neighbouring-sentence model.</summary>
    public double PairL2 { get; init; } = 1e-4;

    /// <summary>Most frequent sentence keys the opening/closing-sentence model keeps.</summary>
    public int BoundaryKeys { get; init; } = 1500;

    /// <summary>L2 penalty (per update) of the opening/closing-sentence model.</summary>
    public double BoundaryL2 { get; init; } = 1e-3;

    /// <summary>Weight slots (a power of two) the keys of a prompt's neighbouring-sentence model are hashed into.</summary>
    public int PairSlots { get; init; } = 8192;

    /// <summary>Weight slots of the shared (all-prompt) neighbouring-sentence model.</summary>
    public int SharedPairSlots { get; init; } = 16384;

    /// <summary>Sentence pairs per sentence the precedence model samples from each training essay.</summary>
    public int PrecedencePairsPerSentence { get; init; } = 3;

    /// <summary>Weight slots of the opening/closing-sentence models.</summary>
    public int BoundarySlots { get; init; } = 8192;

    /// <summary>Pair and boundary weights smaller than this are stored as 0.</summary>
    public double OrderMinWeight { get; init; } = 0.2;

    /// <summary>Gradient steps of the prompt classifier behind off-topic detection.</summary>
    public int ClassifierIterations { get; init; } = 1000;

    /// <summary>Step size of the prompt classifier (its inputs are L2-normalised, so gradients are small).</summary>
    public double ClassifierRate { get; init; } = 50;

    /// <summary>L2 penalty of the prompt classifier.</summary>
    public double ClassifierL2 { get; init; } = 1e-5;

    /// <summary>Most frequent content words (all prompts) that get semantic word vectors.</summary>
    public int SemanticWords { get; init; } = 3000;

    /// <summary>Dimensions of the semantic word vectors (24, 32 and 48 measured alike on dev; stored at 4 bits each).</summary>
    public int SemanticDimensions { get; init; } = 32;

    /// <summary>Ridge penalty of the semantic sentence-position predictor.</summary>
    public double SemanticPositionLambda { get; init; } = 10;

    /// <summary>Common words kept for suggestion ranking.</summary>
    public int CommonWords { get; init; } = 6000;
}
