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

    /// <summary>The head inputs: standardized features then the standardized n-gram score.</summary>
    public double[] Inputs(double[] features, double ngramScore)
    {
        var z = new double[features.Length + 1];
        for (var j = 0; j < features.Length; j++)
        {
            z[j] = Stds[j] == 0 ? 0 : Math.Clamp((features[j] - Means[j]) / Stds[j], -6, 6);
        }

        z[^1] = NgramScoreStd == 0 ? 0 : (ngramScore - NgramScoreMean) / NgramScoreStd;
        return z;
    }

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
