using System.Text.Json.Serialization;
using Sluice.Grading.Features;
using Sluice.Grading.Training;

namespace Sluice.Grading.Scoring;

/// <summary>The learned scoring model of one prompt (part of the model file).</summary>
internal sealed record PromptModel
{
    public required int Prompt { get; init; }

    /// <summary>Feature standardization (same order as <see cref="FeatureExtractor.Names"/>).</summary>
    public required double[] Means { get; init; }

    public required double[] Stds { get; init; }

    /// <summary>Vocabulary profile (content words typical of this prompt) and weights.</summary>
    public required string[] Keywords { get; init; }

    public required float[] KeywordWeights { get; init; }

    /// <summary>5th percentile of training essays' similarity to their own prompt (off-topic threshold basis).</summary>
    public required double SimilarityP05 { get; init; }

    /// <summary>25th percentile of that similarity: an essay this close to another prompt reads as written for it.</summary>
    public required double SimilarityP25 { get; init; }

    /// <summary>Median word count of training essays (context for length-based flags).</summary>
    public required double MedianWords { get; init; }

    /// <summary>N-gram regressor: vocabulary, idf and weights of the L2-normalised sublinear tf-idf vector.</summary>
    public required string[] Vocab { get; init; }

    public required float[] Idf { get; init; }

    public required float[] NgramWeights { get; init; }

    public required double NgramMean { get; init; }

    /// <summary>Standardization of the n-gram score before the heads.</summary>
    public required double NgramScoreMean { get; init; }

    public required double NgramScoreStd { get; init; }

    /// <summary>
    /// Base inputs (indices into the standardized features then the n-gram score) whose halved squares and pairwise
    /// products follow them as head inputs: the few strongest inputs, so the heads can bend where a straight line
    /// over- or under-shoots (e.g. the top of the scale).
    /// </summary>
    public int[] Interactions { get; init; } = [];

    /// <summary>Detector of shuffled sentence order for this prompt's essays.</summary>
    public required Integrity.OrderModel Order { get; init; }

    /// <summary>Holistic head first, then one per trait in <see cref="Data.PromptScale"/> order.</summary>
    public required LinearHead[] Heads { get; init; }

    [JsonIgnore]
    public PromptProfile Profile => _profile ??= new PromptProfile(Prompt, Keywords, KeywordWeights);

    [JsonIgnore]
    public Dictionary<string, int> VocabIndex => _vocabIndex ??= BuildIndex(Vocab);

    private PromptProfile? _profile;
    private Dictionary<string, int>? _vocabIndex;

    /// <summary>The n-gram regressor's prediction for the essay's n-gram counts.</summary>
    public double NgramScore(Dictionary<string, int> counts)
    {
        var row = TfIdf.Row(counts, VocabIndex, Idf);
        var s = NgramMean;
        for (var t = 0; t < row.Indices.Length; t++)
        {
            s += NgramWeights[row.Indices[t]] * row.Values[t];
        }

        return s;
    }

    /// <summary>Base head inputs: the standardized features and the standardized n-gram score.</summary>
    [JsonIgnore]
    public int BaseInputCount => Means.Length + 1;

    /// <summary>The head inputs: standardized features, the standardized n-gram score, then the interaction terms.</summary>
    public double[] Inputs(double[] features, double ngramScore)
    {
        var m = Interactions.Length;
        var z = new double[BaseInputCount + (m * (m + 1) / 2)];
        for (var j = 0; j < features.Length; j++)
        {
            z[j] = Stds[j] == 0 ? 0 : Math.Clamp((features[j] - Means[j]) / Stds[j], -6, 6);
        }

        z[features.Length] = NgramScoreStd == 0 ? 0 : (ngramScore - NgramScoreMean) / NgramScoreStd;
        var k = BaseInputCount;
        for (var a = 0; a < m; a++)
        {
            var za = Math.Clamp(z[Interactions[a]], -InteractionClamp, InteractionClamp);
            for (var b = a; b < m; b++)
            {
                var zb = Math.Clamp(z[Interactions[b]], -InteractionClamp, InteractionClamp);
                z[k++] = a == b ? za * zb / 2 : za * zb;
            }
        }

        return z;
    }

    /// <summary>
    /// Effect of each base input on a head (weight × input, in score points against a typical essay, where every input
    /// is 0): an interaction term's effect is split between its two inputs, so the effects still sum to the prediction.
    /// </summary>
    public double[] BaseEffects(double[] inputs, double[] weights)
    {
        var effects = new double[BaseInputCount];
        for (var j = 0; j < effects.Length; j++)
        {
            effects[j] = weights[j] * inputs[j];
        }

        var k = BaseInputCount;
        for (var a = 0; a < Interactions.Length; a++)
        {
            for (var b = a; b < Interactions.Length; b++)
            {
                var e = weights[k] * inputs[k];
                k++;
                effects[Interactions[a]] += e / 2;
                effects[Interactions[b]] += e / 2;
            }
        }

        return effects;
    }

    /// <summary>Interaction terms use inputs clamped to ±3 standard deviations: squares extrapolate fast beyond the training range.</summary>
    private const double InteractionClamp = 3;

    private static Dictionary<string, int> BuildIndex(string[] vocab)
    {
        var d = new Dictionary<string, int>(vocab.Length, StringComparer.Ordinal);
        for (var i = 0; i < vocab.Length; i++)
        {
            d[vocab[i]] = i;
        }

        return d;
    }
}
