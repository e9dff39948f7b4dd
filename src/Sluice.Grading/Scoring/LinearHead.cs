namespace Sluice.Grading.Scoring;

/// <summary>
/// One scored target (holistic or a trait): linear weights over the head inputs (standardized features, the n-gram
/// score, then the interaction terms of <see cref="PromptModel.Interactions"/>), and the cut points that map the
/// continuous value to the integer scale [Min, Max].
/// </summary>
internal sealed record LinearHead
{
    public required string Name { get; init; }

    public required int Min { get; init; }

    public required int Max { get; init; }

    public required double[] Weights { get; init; }

    public required double Bias { get; init; }

    public required double[] Cuts { get; init; }
}
