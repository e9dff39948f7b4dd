namespace Sluice.Grading.Scoring;

/// <summary>
/// Prompt-independent model: predicts a normalized 0–1 score from prompt-independent features (topic features are
/// left out), for essays whose prompt the grader was not trained on.
/// </summary>
internal sealed record GenericModel
{
    /// <summary>Indices into the feature vector this model uses.</summary>
    public required int[] Features { get; init; }

    public required double[] Means { get; init; }

    public required double[] Stds { get; init; }

    public required double[] Weights { get; init; }

    public required double Bias { get; init; }

    public double Predict(double[] features)
    {
        var s = Bias;
        for (var j = 0; j < Features.Length; j++)
        {
            var v = features[Features[j]];
            s += Weights[j] * (Stds[j] == 0 ? 0 : Math.Clamp((v - Means[j]) / Stds[j], -6, 6));
        }

        return Math.Clamp(s, 0, 1);
    }
}
