namespace Sluice.Engine.Loading;

/// <summary>All weights of a model; matrices point into the mapped file, norm gains are small float copies.</summary>
internal sealed class TransformerWeights
{
    /// <summary>Token embedding table, (vocab_size, dim).</summary>
    public required WeightTensor TokenEmbedding { get; init; }

    /// <summary>One entry per layer.</summary>
    public required LayerWeights[] Layers { get; init; }

    /// <summary>Final RMSNorm gain, (dim).</summary>
    public required float[] RmsFinal { get; init; }

    /// <summary>Output classifier, (vocab_size, dim); the embedding table itself when shared.</summary>
    public required WeightTensor Classifier { get; init; }

    /// <summary>Every matrix, for <c>model info</c>.</summary>
    public IEnumerable<WeightTensor> Matrices()
    {
        yield return TokenEmbedding;
        foreach (var layer in Layers)
        {
            yield return layer.Wq;
            yield return layer.Wk;
            yield return layer.Wv;
            yield return layer.Wo;
            yield return layer.W1;
            yield return layer.W2;
            yield return layer.W3;
        }

        if (Classifier.Address != TokenEmbedding.Address)
        {
            yield return Classifier;
        }
    }
}
