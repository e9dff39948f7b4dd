namespace Sluice.Engine.Loading;

/// <summary>The weights of one transformer block (llama2.c's per-layer slices of <c>TransformerWeights</c>).</summary>
internal sealed class LayerWeights
{
    /// <summary>Attention RMSNorm gain, (dim).</summary>
    public required float[] RmsAtt { get; init; }

    /// <summary>Query projection, (n_heads * head_size, dim).</summary>
    public required WeightTensor Wq { get; init; }

    /// <summary>Key projection, (n_kv_heads * head_size, dim).</summary>
    public required WeightTensor Wk { get; init; }

    /// <summary>Value projection, (n_kv_heads * head_size, dim).</summary>
    public required WeightTensor Wv { get; init; }

    /// <summary>Attention output projection, (dim, n_heads * head_size).</summary>
    public required WeightTensor Wo { get; init; }

    /// <summary>Feed-forward RMSNorm gain, (dim).</summary>
    public required float[] RmsFfn { get; init; }

    /// <summary>SwiGLU gate, (hidden_dim, dim).</summary>
    public required WeightTensor W1 { get; init; }

    /// <summary>SwiGLU down projection, (dim, hidden_dim).</summary>
    public required WeightTensor W2 { get; init; }

    /// <summary>SwiGLU up projection, (hidden_dim, dim).</summary>
    public required WeightTensor W3 { get; init; }
}
