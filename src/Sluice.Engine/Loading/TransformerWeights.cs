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
}
