using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sluice.Engine.Loading;

namespace Sluice.Engine.Inference;

/// <summary>
/// llama2.c's <c>forward</c>, batched: one call advances every row of a <see cref="BatchState"/> (each a
/// sequence at its own position) through all layers, reading each weight once for the whole batch. Rows never
/// mix: every row's arithmetic is the same whether it runs alone or with others, so batching is exact.
/// Stateless apart from read-only weights and RoPE tables, so one instance serves any number of states.
/// </summary>
internal sealed unsafe class Transformer
{
    private readonly ModelConfig _c;
    private readonly TransformerWeights _w;
    private readonly float[] _ropeCos; // (seq_len, head_size / 2)
    private readonly float[] _ropeSin; // (seq_len, head_size / 2)

    /// <summary>Numbers forward passes, so a pass can tell whether two of its rows belong to one sequence.</summary>
    private static long s_forwardStamp;

    public Transformer(ModelConfig config, TransformerWeights weights)
    {
        _c = config;
        _w = weights;
        var half = config.HeadSize / 2;
        _ropeCos = new float[config.SeqLen * half];
        _ropeSin = new float[config.SeqLen * half];
        for (var pos = 0; pos < config.SeqLen; pos++)
        {
            for (var i = 0; i < half; i++)
            {
                // Exactly llama2.c's expression, so the rotation matches its float rounding.
                var headDim = i * 2;
                var freq = 1.0f / MathF.Pow(config.RopeTheta, headDim / (float)config.HeadSize);
                var val = pos * freq;
                _ropeCos[pos * half + i] = MathF.Cos(val);
                _ropeSin[pos * half + i] = MathF.Sin(val);
            }
        }
    }

    public ModelConfig Config => _c;

    public TransformerWeights Weights => _w;

    /// <summary>
    /// Runs <paramref name="rows"/> rows of <paramref name="s"/>; rows whose <see cref="BatchState.LogitIndex"/>
    /// is not -1 get logits in <see cref="BatchState.LogitsRow"/>. Rows of one sequence must be in position order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(BatchState s, int rows)
    {
        var dim = _c.Dim;
        var logitRows = 0;
        var stamp = Interlocked.Increment(ref s_forwardStamp);
        var oneRowPerSequence = true;
        for (var r = 0; r < rows; r++)
        {
            var token = s.Tokens[r];
            var pos = s.Positions[r];
            if ((uint)token >= (uint)_c.VocabSize || (uint)pos >= (uint)_c.SeqLen)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), $"row {r}: token {token} or position {pos} out of range");
            }

            var cache = s.Caches[r];
            cache.EnsurePosition(pos);
            if (cache.ForwardStamp == stamp)
            {
                oneRowPerSequence = false;
            }

            cache.ForwardStamp = stamp;
            if (s.LogitIndex[r] >= 0)
            {
                logitRows = Math.Max(logitRows, s.LogitIndex[r] + 1);
            }
        }

        s.EnsureCapacity(rows, logitRows);
        for (var r = 0; r < rows; r++)
        {
            // Copy the token embedding into x.
            _w.TokenEmbedding.DequantizeRow(s.Tokens[r], new Span<float>(s.X + (long)r * dim, dim));
        }
        // The attention job (and its delegate) is cached on the state so steps allocate nothing.
        if (s.AttentionCache is not AttentionJob attention || attention.Owner != this)
        {
            attention = new AttentionJob(this, s);
            s.AttentionCache = attention;
        }

        for (var l = 0; l < _c.Layers; l++)
        {
            var layer = _w.Layers[l];

            // Attention rmsnorm (after the previous layer's ffn residual connection), rows in parallel.
            attention.Norm(layer.RmsAtt, rows, addResidual: l > 0);

            // qkv matmuls for this position.
            s.MatMul.Run(s.Xb, rows, layer.Wq, s.Q, layer.Wk, s.K, layer.Wv, s.V);

            // RoPE and the KV cache writes, then multihead attention, every (row, head) independently and in
            // parallel. When every row is its own sequence and each query head has its own kv head, each (row, head)
            // rotates and stores its own head first: no other item reads that key, so one region does both. Rows of
            // one sequence (prefill) read each other's keys, so they are all stored before any attention starts.
            var fused = oneRowPerSequence && _c.KvMul == 1;
            if (!fused)
            {
                attention.RotateAndStore(l, rows);
            }

            attention.Run(l, rows, fused);

            // Final matmul to get the output of the attention.
            s.MatMul.Run(s.Xb, rows, layer.Wo, s.Xb2);

            // The residual connection back into x, then the ffn rmsnorm.
            attention.Norm(layer.RmsFfn, rows, addResidual: true);

            // self.w2(F.silu(self.w1(x)) * self.w3(x)): first w1 and w3 together.
            s.MatMul.Run(s.Xb, rows, layer.W1, s.Hb, layer.W3, s.Hb2);

            // SwiGLU non-linearity: silu(x) = x * σ(x), then elementwise multiply with w3(x).
            attention.SwiGlu(rows);

            // Final matmul to get the output of the ffn; its residual connection opens the next layer.
            s.MatMul.Run(s.Hb, rows, layer.W2, s.Xb2);
        }

        VectorMath.Add(s.X, s.Xb2, (long)rows * dim);

        if (logitRows == 0)
        {
            return;
        }

        // Final rmsnorm of the rows that need logits, gathered into consecutive rows of xb, then the classifier.
        for (var r = 0; r < rows; r++)
        {
            var index = s.LogitIndex[r];
            if (index >= 0)
            {
                RmsNorm(s.Xb + (long)index * dim, s.X + (long)r * dim, _w.RmsFinal, dim, _c.NormEps);
            }
        }

        s.MatMul.Run(s.Xb, logitRows, _w.Classifier, s.Logits);
    }

    /// <summary>
    /// RoPE relative positional encoding of row <paramref name="r"/>'s q and k (complex-valued rotation of each pair in
    /// each head, llama2.c's arithmetic, head by head so no index needs a division), then its key and value saved at
    /// its position in the sequence's KV cache block, head by head (see <see cref="KvSlice"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RotateAndStore(BatchState s, int r, int l)
    {
        for (var h = 0; h < _c.Heads; h++)
        {
            RotateQuery(s, r, h);
        }

        for (var kvh = 0; kvh < _c.KvHeads; kvh++)
        {
            RotateAndStoreKey(s, r, l, kvh);
        }
    }

    /// <summary>RoPE of query head <paramref name="h"/> of row <paramref name="r"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RotateQuery(BatchState s, int r, int h)
    {
        int hs = _c.HeadSize, half = hs / 2, pos = s.Positions[r];
        fixed (float* cos = _ropeCos, sin = _ropeSin)
        {
            Rotate(s.Q + (long)r * _c.Dim + h * hs, cos + pos * half, sin + pos * half, half);
        }
    }

    /// <summary>RoPE of key head <paramref name="kvh"/> of row <paramref name="r"/>, then that head's key and value saved in the KV cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RotateAndStoreKey(BatchState s, int r, int l, int kvh)
    {
        int hs = _c.HeadSize, half = hs / 2, pos = s.Positions[r];
        float* k = s.K + (long)r * _c.KvDim + kvh * hs, v = s.V + (long)r * _c.KvDim + kvh * hs;
        fixed (float* cos = _ropeCos, sin = _ropeSin)
        {
            Rotate(k, cos + pos * half, sin + pos * half, half);
        }

        var cache = s.Caches[r];
        var bs = cache.BlockSize;
        var block = BlockPointer(cache.Blocks[pos / bs]);
        var slot = (long)(pos % bs) * hs;
        Buffer.MemoryCopy(k, block + KvSlice(l, 0, kvh, bs) + slot, hs * sizeof(float), hs * sizeof(float));
        Buffer.MemoryCopy(v, block + KvSlice(l, 1, kvh, bs) + slot, hs * sizeof(float), hs * sizeof(float));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rotate(float* x, float* cos, float* sin, int half)
    {
        for (var j = 0; j < half; j++)
        {
            float fcr = cos[j], fci = sin[j];
            float v0 = x[2 * j], v1 = x[(2 * j) + 1];
            x[2 * j] = v0 * fcr - v1 * fci;
            x[(2 * j) + 1] = v0 * fci + v1 * fcr;
        }
    }

    /// <summary>llama2.c's <c>rmsnorm</c>, with the sum of squares in sequential order as C computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RmsNorm(float* o, float* x, float[] weight, int size, float eps)
    {
        var ss = 0.0f;
        for (var j = 0; j < size; j++)
        {
            ss += x[j] * x[j];
        }

        ss /= size;
        ss += eps;
        ss = 1.0f / MathF.Sqrt(ss);
        for (var j = 0; j < size; j++)
        {
            o[j] = weight[j] * (ss * x[j]);
        }
    }

    /// <summary>
    /// Requests <paramref name="bytes"/> from <paramref name="p"/> into L2 (<c>prefetcht1</c>), which tracks many more
    /// misses in flight than L1: with <c>prefetcht0</c> attention read the KV cache at about 20 GB/s, L1's miss
    /// buffers full, and at batch 16 (15M, positions 64–84) it took 0.88 ms of a step against 0.60 ms now (one decode
    /// step alternated between the two in one process, 2026-11-21).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(byte* p, int bytes)
    {
        if (Sse.IsSupported)
        {
            for (var b = 0; b < bytes; b += 64)
            {
                Sse.Prefetch1(p + b);
            }
        }
    }

    /// <summary>
    /// Offset (in floats) in a KV block of the keys (<paramref name="kv"/> 0) or values (1) of one layer and kv head:
    /// a block is [layer][k, v][kv head][slot][head size]. Head-major, so attention reads each head's positions
    /// contiguously: with the position-major layout a head's 48 floats sat 1 KB apart, three or four positions per
    /// page, where the hardware prefetchers do not follow, and attention stalled on memory at large batches.
    /// </summary>
    private long KvSlice(int layer, int kv, int kvHead, int blockSize) => ((long)((layer * 2) + kv) * _c.KvHeads + kvHead) * blockSize * _c.HeadSize;

    private static float* BlockPointer(float[] block) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(block));

    /// <summary>
    /// The parallel regions of a layer besides its matrix products: attention over (row, head) pairs, and RoPE, norms
    /// and SwiGLU over rows; one instance per state, reused across layers and steps.
    /// </summary>
    private sealed class AttentionJob
    {
        private readonly Transformer _t;
        private readonly BatchState _s;
        private readonly Action<int> _body;
        private readonly Action<int> _rotateBody;
        private readonly Action<int> _normBody;
        private readonly Action<int> _swiGluBody;
        private float[] _normWeight = [];
        private bool _addResidual;
        private bool _rotateFirst;
        private int _layer;
        private readonly int _heads;

        public AttentionJob(Transformer t, BatchState s)
        {
            _t = t;
            _s = s;
            _heads = t._c.Heads;
            _body = RunOne;
            _rotateBody = r => _t.RotateAndStore(_s, r, _layer);
            _normBody = NormOne;
            _swiGluBody = SwiGluOne;
        }

        /// <summary>
        /// Per row: x += xb2 when <paramref name="addResidual"/> (the residual connection of the block before), then
        /// xb = rmsnorm(x) with <paramref name="weight"/>; rows in parallel (on the caller, the norms and the element-wise
        /// work between the matrix products were a few per cent of a batch-16 step).
        /// </summary>
        public void Norm(float[] weight, int rows, bool addResidual)
        {
            _normWeight = weight;
            _addResidual = addResidual;
            WorkerTeam.Shared.Run(rows, rows < 4 ? 1 : _s.Threads, _normBody, _s.Parallel);
        }

        /// <summary>hb = silu(hb) * hb2 per row, rows in parallel.</summary>
        public void SwiGlu(int rows) => WorkerTeam.Shared.Run(rows, rows < 4 ? 1 : _s.Threads, _swiGluBody, _s.Parallel);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void NormOne(int r)
        {
            var c = _t._c;
            var x = _s.X + (long)r * c.Dim;
            if (_addResidual)
            {
                VectorMath.Add(x, _s.Xb2 + (long)r * c.Dim, c.Dim);
            }

            RmsNorm(_s.Xb + (long)r * c.Dim, x, _normWeight, c.Dim, c.NormEps);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void SwiGluOne(int r)
        {
            var hidden = _t._c.HiddenDim;
            VectorMath.SwiGlu(_s.Hb + (long)r * hidden, _s.Hb2 + (long)r * hidden, hidden);
        }

        /// <summary>RoPE and KV cache writes of every row for one layer, rows in parallel (serial on the caller they were 6 % of a batch-16 step).</summary>
        public void RotateAndStore(int layer, int rows)
        {
            _layer = layer;
            WorkerTeam.Shared.Run(rows, rows < 4 ? 1 : _s.Threads, _rotateBody, _s.Parallel);
        }

        public Transformer Owner => _t;

        /// <summary>
        /// Attention of layer <paramref name="layer"/> for every (row, head); with <paramref name="rotateFirst"/> each
        /// item first applies RoPE to its query head and to its key head and stores that key and value (only valid
        /// when no two rows share a sequence and every query head has its own kv head).
        /// </summary>
        public void Run(int layer, int rows, bool rotateFirst)
        {
            _layer = layer;
            _rotateFirst = rotateFirst;
            var items = rows * _heads;
            WorkerTeam.Shared.Run(items, items < 4 ? 1 : _s.Threads, _body, _s.Parallel);
        }

        /// <summary>
        /// xb[0 .. width) = Σ_t att[t] · v_t[0 .. width) over positions 0 … pos, in position order, for a width of 32,
        /// 48 or 64 (a constant at each call, so the accumulators a narrower width does not use fold away).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AccumulateValues(float* xb, List<float[]> blocks, long valueOffset, int pos, int bs, int hs, Span<float> att, int width)
        {
            Vector256<float> x0 = default, x1 = default, x2 = default, x3 = default;
            Vector256<float> x4 = default, x5 = default, x6 = default, x7 = default;
            for (int t = 0, j = 0; t <= pos; j++)
            {
                var v = BlockPointer(blocks[j]) + valueOffset;
                for (var end = Math.Min(pos + 1, t + bs); t < end; t++, v += hs)
                {
                    var a = Vector256.Create(att[t]);
                    x0 = Vector256.FusedMultiplyAdd(Vector256.Load(v), a, x0);
                    x1 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 8), a, x1);
                    x2 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 16), a, x2);
                    x3 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 24), a, x3);
                    if (width >= 48)
                    {
                        x4 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 32), a, x4);
                        x5 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 40), a, x5);
                    }

                    if (width == 64)
                    {
                        x6 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 48), a, x6);
                        x7 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 56), a, x7);
                    }
                }
            }

            x0.Store(xb);
            x1.Store(xb + 8);
            x2.Store(xb + 16);
            x3.Store(xb + 24);
            if (width >= 48)
            {
                x4.Store(xb + 32);
                x5.Store(xb + 40);
            }

            if (width == 64)
            {
                x6.Store(xb + 48);
                x7.Store(xb + 56);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void RunOne(int item)
        {
            var c = _t._c;
            var s = _s;
            int r = item / _heads, h = item % _heads;
            int hs = c.HeadSize, l = _layer;
            var pos = s.Positions[r];
            var cache = s.Caches[r];
            var bs = cache.BlockSize;
            if (_rotateFirst)
            {
                _t.RotateQuery(s, r, h);
                _t.RotateAndStoreKey(s, r, l, h);
            }

            var q = s.Q + (long)r * c.Dim + h * hs;
            var att = new Span<float>(s.Att + ((long)r * c.Heads + h) * c.SeqLen, pos + 1);
            var kvHead = h / c.KvMul;
            var scale = MathF.Sqrt(hs);

            // Iterate over all timesteps, including the current one, block by block (no division per position).
            // Head sizes are small (8 to 128), so the loops are written inline rather than paying a library call
            // per position.
            var blocks = cache.Blocks;
            var keyOffset = _t.KvSlice(l, 0, kvHead, bs);
            var vectorKeys = hs % 8 == 0 && Avx.IsSupported;
            var scaleVector = Vector128.Create(scale);
            var valueSlice = _t.KvSlice(l, 1, kvHead, bs);
            var groupBytes = 4 * hs * sizeof(float);
            if (vectorKeys)
            {
                // The KV cache of a batch outgrows the caches, and each (row, head) reads only a few KB of it, too
                // little for the hardware prefetcher to ramp up: the first block's keys are requested up front,
                // then each group of four positions requests the next block's keys and its own values.
                Prefetch((byte*)(BlockPointer(blocks[0]) + keyOffset), Math.Min(pos + 1, bs) * hs * sizeof(float));
            }

            for (int t = 0, j = 0; t <= pos; j++)
            {
                var k = BlockPointer(blocks[j]) + keyOffset;
                var end = Math.Min(pos + 1, t + bs);
                if (vectorKeys)
                {
                    var nextKeys = (byte*)(t + bs <= pos ? BlockPointer(blocks[j + 1]) + keyOffset : k);
                    var values = (byte*)(BlockPointer(blocks[j]) + valueSlice);
                    for (int g = t; g + 4 <= end; g += 4)
                    {
                        var offset = (g - t) * hs * sizeof(float);
                        Prefetch(nextKeys + offset, groupBytes);
                        Prefetch(values + offset, groupBytes);
                    }

                    // Four positions at a time: four independent FMA chains instead of one, and one horizontal
                    // reduction for all four, in Vector256.Sum's order, so every score is the same as one at a time.
                    for (; t + 4 <= end; t += 4, k += 4 * hs)
                    {
                        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                        for (var i = 0; i < hs; i += 8)
                        {
                            var qi = Vector256.Load(q + i);
                            a0 = Vector256.FusedMultiplyAdd(qi, Vector256.Load(k + i), a0);
                            a1 = Vector256.FusedMultiplyAdd(qi, Vector256.Load(k + hs + i), a1);
                            a2 = Vector256.FusedMultiplyAdd(qi, Vector256.Load(k + 2 * hs + i), a2);
                            a3 = Vector256.FusedMultiplyAdd(qi, Vector256.Load(k + 3 * hs + i), a3);
                        }

                        var sums = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
                        ((sums.GetLower() + sums.GetUpper()) / scaleVector).CopyTo(att.Slice(t, 4));
                    }
                }

                for (; t < end; t++, k += hs)
                {
                    var i = 0;
                    var score = 0f;
                    if (hs >= 8)
                    {
                        var acc = Vector256<float>.Zero;
                        for (; i + 8 <= hs; i += 8)
                        {
                            acc = Vector256.FusedMultiplyAdd(Vector256.Load(q + i), Vector256.Load(k + i), acc);
                        }

                        score = Vector256.Sum(acc);
                    }

                    for (; i < hs; i++)
                    {
                        score += q[i] * k[i];
                    }

                    att[t] = score / scale;
                }
            }

            // Vectorized (8-lane exp and sum): llama2.c's scalar expf loop was a fifth of attention's time at batch 16,
            // and the golden greedy outputs are unchanged.
            VectorMath.Softmax(att);

            // Weighted sum of the values, stored into xb: each slice of xb is accumulated in registers over all
            // positions, in position order, as llama2.c's xb[i] += a * v[i] loop does.
            var xb = s.Xb + (long)r * c.Dim + h * hs;
            var slice = 0;
            // Up to eight vectors (head sizes 64 and 48, the 110M and 15M shapes') in one pass over the positions
            // rather than 32 + 8 + 8 in three: each pass is bound by its FMA chains' latency, whatever its width.
            for (; slice + 64 <= hs; slice += 64)
            {
                AccumulateValues(xb + slice, blocks, valueSlice + slice, pos, bs, hs, att, 64);
            }

            for (; slice + 48 <= hs; slice += 48)
            {
                AccumulateValues(xb + slice, blocks, valueSlice + slice, pos, bs, hs, att, 48);
            }

            for (; slice + 32 <= hs; slice += 32)
            {
                AccumulateValues(xb + slice, blocks, valueSlice + slice, pos, bs, hs, att, 32);
            }

            for (; slice + 8 <= hs; slice += 8)
            {
                Vector256<float> x0 = default;
                for (int t = 0, j = 0; t <= pos; j++)
                {
                    var v = BlockPointer(blocks[j]) + valueSlice + slice;
                    for (var end = Math.Min(pos + 1, t + bs); t < end; t++, v += hs)
                    {
                        x0 = Vector256.FusedMultiplyAdd(Vector256.Load(v), Vector256.Create(att[t]), x0);
                    }
                }

                x0.Store(xb + slice);
            }

            for (; slice < hs; slice++)
            {
                var sum = 0f;
                for (int t = 0, j = 0; t <= pos; j++)
                {
                    var v = BlockPointer(blocks[j]) + valueSlice + slice;
                    for (var end = Math.Min(pos + 1, t + bs); t < end; t++, v += hs)
                    {
                        sum += att[t] * *v;
                    }
                }

                xb[slice] = sum;
            }
        }
    }
}
