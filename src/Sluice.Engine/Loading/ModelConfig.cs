namespace Sluice.Engine.Loading;

/// <summary>
/// Hyper-parameters of a llama-family transformer (llama2.c's <c>Config</c>, plus what GGUF adds:
/// the RMSNorm epsilon and the RoPE base).
/// </summary>
internal sealed record ModelConfig
{
    /// <summary>Transformer width (embedding size).</summary>
    public required int Dim { get; init; }

    /// <summary>Width of the SwiGLU feed-forward layer.</summary>
    public required int HiddenDim { get; init; }

    /// <summary>Number of transformer blocks.</summary>
    public required int Layers { get; init; }

    /// <summary>Number of query heads.</summary>
    public required int Heads { get; init; }

    /// <summary>Number of key/value heads (fewer than <see cref="Heads"/> means grouped-query attention).</summary>
    public required int KvHeads { get; init; }

    /// <summary>Vocabulary size (always positive here; llama2.c's sign trick is decoded into <see cref="SharedClassifier"/>).</summary>
    public required int VocabSize { get; init; }

    /// <summary>Context length: the largest number of positions a sequence may use.</summary>
    public required int SeqLen { get; init; }

    /// <summary>True when the output classifier reuses the token embedding table.</summary>
    public bool SharedClassifier { get; init; }

    /// <summary>RMSNorm epsilon (llama2.c hard-codes 1e-5).</summary>
    public float NormEps { get; init; } = 1e-5f;

    /// <summary>RoPE frequency base (llama2.c hard-codes 10000).</summary>
    public float RopeTheta { get; init; } = 10000f;

    /// <summary>Size of one attention head.</summary>
    public int HeadSize => Dim / Heads;

    /// <summary>Width of the key and value projections.</summary>
    public int KvDim => KvHeads * HeadSize;

    /// <summary>Query heads sharing one key/value head.</summary>
    public int KvMul => Heads / KvHeads;

    /// <summary>Parameter count (the classifier counted once when shared).</summary>
    public long ParameterCount =>
        (long)VocabSize * Dim
        + (long)Layers * (2L * Dim + 2L * Dim * Dim + 2L * Dim * KvDim + 3L * Dim * HiddenDim)
        + Dim
        + (SharedClassifier ? 0 : (long)VocabSize * Dim);

    /// <summary>Bytes of KV cache one token occupies across all layers (float32 keys and values).</summary>
    public long KvBytesPerToken => (long)Layers * 2 * KvDim * sizeof(float);

    /// <summary>Checks the shape is one the engine can run; returns a sentence describing the first problem, or null.</summary>
    public string? Validate()
    {
        if (Dim <= 0 || HiddenDim <= 0 || Layers <= 0 || Heads <= 0 || KvHeads <= 0 || VocabSize <= 0 || SeqLen <= 0)
        {
            return $"every dimension must be positive (dim {Dim}, hidden {HiddenDim}, layers {Layers}, heads {Heads}, kv heads {KvHeads}, vocab {VocabSize}, seq_len {SeqLen})";
        }

        // Upper bounds keep a corrupt header from asking for absurd allocations.
        if (Dim > 65536 || HiddenDim > 262144 || Layers > 1024 || Heads > 1024 || VocabSize > 1 << 22 || SeqLen > 1 << 20)
        {
            return $"dimensions out of range (dim {Dim}, hidden {HiddenDim}, layers {Layers}, heads {Heads}, vocab {VocabSize}, seq_len {SeqLen})";
        }

        if (Dim % Heads != 0)
        {
            return $"dim {Dim} is not a multiple of heads {Heads}";
        }

        if (Heads % KvHeads != 0)
        {
            return $"heads {Heads} is not a multiple of kv heads {KvHeads}";
        }

        if (HeadSize % 2 != 0)
        {
            return $"head size {HeadSize} must be even for RoPE";
        }

        return null;
    }

    public override string ToString() =>
        $"dim {Dim}, hidden {HiddenDim}, layers {Layers}, heads {Heads}, kv heads {KvHeads}, vocab {VocabSize}, seq_len {SeqLen}, " +
        $"{(SharedClassifier ? "shared" : "unshared")} classifier, rms eps {NormEps:G3}, rope theta {RopeTheta:G}";
}
