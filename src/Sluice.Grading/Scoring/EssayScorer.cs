using Sluice.Grading.Features;
using Sluice.Grading.Training;

namespace Sluice.Grading.Scoring;

/// <summary>Applies a <see cref="PromptModel"/>: the one prediction path shared by evaluation and serving.</summary>
internal static class EssayScorer
{
    /// <summary>Continuous and integer predictions of every head, plus the head inputs (for drivers).</summary>
    public static (double[] Raw, int[] Scores, double[] Inputs) Score(PromptModel model, double[] features, Dictionary<string, int> ngrams)
    {
        var z = model.Inputs(features, model.NgramScore(ngrams));
        var raw = new double[model.Heads.Length];
        var scores = new int[model.Heads.Length];
        for (var h = 0; h < model.Heads.Length; h++)
        {
            var head = model.Heads[h];
            raw[h] = Ridge.Predict(z, head.Weights, head.Bias);
            scores[h] = Math.Clamp(ThresholdMapper.Apply(raw[h], head.Cuts, head.Min), head.Min, head.Max);
        }

        return (raw, scores, z);
    }

    /// <summary>Names of the head inputs (features then the n-gram score).</summary>
    public static string InputName(int index) => index < FeatureExtractor.Names.Length ? FeatureExtractor.Names[index] : "ngram_score";
}
