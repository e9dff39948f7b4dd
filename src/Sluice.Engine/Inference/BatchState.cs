using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sluice.Engine.Loading;

namespace Sluice.Engine.Inference;

/// <summary>
/// llama2.c's <c>RunState</c> for a batch: one row per (sequence, position) advanced in a step. The caller fills
/// <see cref="Tokens"/>, <see cref="Positions"/>, <see cref="Caches"/> and <see cref="LogitIndex"/> for
/// <c>rows</c> rows, calls <see cref="Transformer.Forward"/>, and reads <see cref="LogitsRow"/>. Buffers grow
/// on demand and are reused, pinned, across steps. Not thread-safe: one forward pass at a time per state.
/// </summary>
internal sealed unsafe class BatchState
{
    private readonly ModelConfig _c;

    public BatchState(ModelConfig config, int threads, int initialRows = 1)
    {
        _c = config;
        Threads = Math.Max(1, threads);
        MatMul = new MatMulJob(Threads);
        Parallel = new ParallelOptions { MaxDegreeOfParallelism = Threads };
        Grow(Math.Max(1, initialRows));
        GrowLogits(1);
    }

    public int Threads { get; }

    public MatMulJob MatMul { get; }

    public ParallelOptions Parallel { get; }

    /// <summary>Rows the buffers can hold.</summary>
    public int Capacity { get; private set; }

    /// <summary>(rows) token fed at each row.</summary>
    public int[] Tokens { get; private set; } = [];

    /// <summary>(rows) position of each row in its sequence.</summary>
    public int[] Positions { get; private set; } = [];

    /// <summary>(rows) the KV cache of the row's sequence.</summary>
    public KvSequence[] Caches { get; private set; } = [];

    /// <summary>(rows) index into the logits buffer, or -1 when the row's logits are not needed (prompt rows).</summary>
    public int[] LogitIndex { get; private set; } = [];

    /// <summary>The transformer's per-state attention job, created on first use.</summary>
    internal object? AttentionCache;

    /// <summary>Activation at current time stamp, (rows, dim).</summary>
    internal float* X;

    /// <summary>Same, but inside a residual branch, (rows, dim).</summary>
    internal float* Xb;

    /// <summary>An additional buffer just for convenience, (rows, dim).</summary>
    internal float* Xb2;

    /// <summary>Buffer for hidden dimension in the ffn, (rows, hidden_dim).</summary>
    internal float* Hb;

    /// <summary>Buffer for hidden dimension in the ffn, (rows, hidden_dim).</summary>
    internal float* Hb2;

    /// <summary>Query, (rows, dim).</summary>
    internal float* Q;

    /// <summary>Key of the current positions, (rows, kv_dim).</summary>
    internal float* K;

    /// <summary>Value of the current positions, (rows, kv_dim).</summary>
    internal float* V;

    /// <summary>Attention scores, (rows, n_heads, seq_len).</summary>
    internal float* Att;

    /// <summary>Output logits, (logit rows, vocab_size).</summary>
    internal float* Logits;

    private readonly List<float[]> _keepAlive = [];
    private float[] _logits = [];

    /// <summary>Logits of logit row <paramref name="index"/> (valid until the next forward).</summary>
    public Span<float> LogitsRow(int index) => _logits.AsSpan(index * _c.VocabSize, _c.VocabSize);

    /// <summary>Makes room for <paramref name="rows"/> rows and <paramref name="logitRows"/> logit rows.</summary>
    public void EnsureCapacity(int rows, int logitRows)
    {
        if (rows > Capacity)
        {
            Grow(Math.Max(rows, Capacity * 2));
        }

        if (logitRows * _c.VocabSize > _logits.Length)
        {
            GrowLogits(Math.Max(logitRows, _logits.Length / _c.VocabSize * 2));
        }
    }

    private void Grow(int rows)
    {
        _keepAlive.Clear();
        X = Alloc(rows * _c.Dim);
        Xb = Alloc(rows * _c.Dim);
        Xb2 = Alloc(rows * _c.Dim);
        Hb = Alloc(rows * _c.HiddenDim);
        Hb2 = Alloc(rows * _c.HiddenDim);
        Q = Alloc(rows * _c.Dim);
        K = Alloc(rows * _c.KvDim);
        V = Alloc(rows * _c.KvDim);
        Att = Alloc((long)rows * _c.Heads * _c.SeqLen);
        if (_logits.Length > 0)
        {
            _keepAlive.Add(_logits);
        }

        // Keep rows already filled: callers may grow the state while building a batch.
        Tokens = Resize(Tokens, rows);
        Positions = Resize(Positions, rows);
        Caches = Resize(Caches, rows);
        LogitIndex = Resize(LogitIndex, rows);
        Capacity = rows;
    }

    private void GrowLogits(int rows)
    {
        _keepAlive.Remove(_logits);
        _logits = GC.AllocateUninitializedArray<float>(rows * _c.VocabSize, pinned: true);
        _keepAlive.Add(_logits);
        Logits = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_logits));
    }

    private static T[] Resize<T>(T[] array, int length)
    {
        var copy = new T[length];
        array.AsSpan(0, Math.Min(array.Length, length)).CopyTo(copy);
        return copy;
    }

    private float* Alloc(long count)
    {
        // Pinned (POH) arrays: stable pointers for the kernels, still collected when the state is dropped.
        var array = GC.AllocateArray<float>(checked((int)count), pinned: true);
        _keepAlive.Add(array);
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
    }
}
