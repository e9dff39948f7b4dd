namespace Sluice.Grading.Integrity;

/// <summary>
/// Logistic model of "these sentences were shuffled", trained on training essays against seeded shuffles of the same
/// essays, over the evidence of the prompt's own component models (position, neighbouring sentences, opening/closing
/// sentences) and the shared all-prompt ones (<see cref="SharedOrderModel"/>); <see cref="Threshold"/> keeps the
/// false-alarm rate on real essays the component models did not see (cross-fitted during training) within
/// <see cref="Training.TrainingOptions.OrderFalseAlarmRate"/> of all essays.
/// </summary>
internal sealed record OrderModel
{
    /// <summary>Essays with fewer sentences are never flagged.</summary>
    public const int MinSentences = 5;

    /// <summary>Per-sentence position predictor behind the rank-correlation features.</summary>
    public required PositionModel Position { get; init; }

    /// <summary>Neighbouring-sentence model behind the local-coherence features.</summary>
    public required PairModel Pairs { get; init; }

    /// <summary>Opening/closing-sentence model behind the boundary features.</summary>
    public required BoundaryModel Boundary { get; init; }

    /// <summary>Opener/closer and position cues in the shared semantic sentence space.</summary>
    public required SemanticPromptModel Semantic { get; init; }

    public required double[] Means { get; init; }

    public required double[] Stds { get; init; }

    public required double[] Weights { get; init; }

    public required double Bias { get; init; }

    /// <summary>Probability above which an essay of more than <see cref="MinSentences"/> sentences is flagged.</summary>
    public required double Threshold { get; init; }

    /// <summary>
    /// The stricter threshold for essays of exactly <see cref="MinSentences"/> sentences: so little order evidence that at
    /// one common threshold they took a fifth of the false alarms (6.5 % of them flagged) while making up 7 % of the
    /// essays; their share of the false-alarm budget is better spent on longer essays.
    /// </summary>
    public required double ShortThreshold { get; init; }

    public double ThresholdFor(int sentences) => sentences > MinSentences ? Threshold : ShortThreshold;

    /// <summary>Share of shuffled training essays the threshold catches (for the docs).</summary>
    public required double TrainingRecall { get; init; }

    public double Probability(double[] f)
    {
        var s = Bias;
        for (var j = 0; j < f.Length; j++)
        {
            s += Weights[j] * (Stds[j] == 0 ? 0 : (f[j] - Means[j]) / Stds[j]);
        }

        return 1 / (1 + Math.Exp(-s));
    }
}
