using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
        int dim = _c.Dim, kvDim = _c.KvDim, hidden = _c.HiddenDim, hs = _c.HeadSize, half = hs / 2;
        var logitRows = 0;
        for (var r = 0; r < rows; r++)
        {
            var token = s.Tokens[r];
            var pos = s.Positions[r];
            if ((uint)token >= (uint)_c.VocabSize || (uint)pos >= (uint)_c.SeqLen)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), $"row {r}: token {token} or position {pos} out of range");
            }

            s.Caches[r].EnsurePosition(pos);
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

            // Attention rmsnorm.
            for (var r = 0; r < rows; r++)
            {
                RmsNorm(s.Xb + (long)r * dim, s.X + (long)r * dim, layer.RmsAtt, dim, _c.NormEps);
            }

            // qkv matmuls for this position.
            s.MatMul.Run(s.Xb, rows, layer.Wq, s.Q, layer.Wk, s.K, layer.Wv, s.V);

            for (var r = 0; r < rows; r++)
            {
                // RoPE relative positional encoding: complex-valued rotate q and k in each head.
                var pos = s.Positions[r];
                float* q = s.Q + (long)r * dim, k = s.K + (long)r * kvDim;
                fixed (float* cosBase = _ropeCos, sinBase = _ropeSin)
                {
                    float* cos = cosBase + pos * half, sin = sinBase + pos * half;
                    for (var i = 0; i < dim; i += 2)
                    {
                        var j = (i % hs) / 2;
                        float fcr = cos[j], fci = sin[j];
                        float v0 = q[i], v1 = q[i + 1];
                        q[i] = v0 * fcr - v1 * fci;
                        q[i + 1] = v0 * fci + v1 * fcr;
                        if (i < kvDim)
                        {
                            v0 = k[i];
                            v1 = k[i + 1];
                            k[i] = v0 * fcr - v1 * fci;
                            k[i + 1] = v0 * fci + v1 * fcr;
                        }
                    }
                }

                // Save key and value at this position into the sequence's KV cache block.
                var block = BlockPointer(s.Caches[r].Blocks[pos / BlockSizeOf(s.Caches[r])]);
                var bs = BlockSizeOf(s.Caches[r]);
                var slot = pos % bs;
                Buffer.MemoryCopy(k, block + ((long)(l * 2) * bs + slot) * kvDim, kvDim * sizeof(float), kvDim * sizeof(float));
                Buffer.MemoryCopy(s.V + (long)r * kvDim, block + ((long)(l * 2 + 1) * bs + slot) * kvDim, kvDim * sizeof(float), kvDim * sizeof(float));
            }

            // Multihead attention, every (row, head) independently and in parallel.
            attention.Run(l, rows);

            // Final matmul to get the output of the attention, then the residual connection back into x.
            s.MatMul.Run(s.Xb, rows, layer.Wo, s.Xb2);
            VectorMath.Add(s.X, s.Xb2, (long)rows * dim);

            // Ffn rmsnorm.
            for (var r = 0; r < rows; r++)
            {
                RmsNorm(s.Xb + (long)r * dim, s.X + (long)r * dim, layer.RmsFfn, dim, _c.NormEps);
            }

            // self.w2(F.silu(self.w1(x)) * self.w3(x)): first w1 and w3 together.
            s.MatMul.Run(s.Xb, rows, layer.W1, s.Hb, layer.W3, s.Hb2);

            // SwiGLU non-linearity: silu(x) = x * σ(x), then elementwise multiply with w3(x).
            VectorMath.SwiGlu(s.Hb, s.Hb2, (long)rows * hidden);

            // Final matmul to get the output of the ffn, then the residual connection.
            s.MatMul.Run(s.Hb, rows, layer.W2, s.Xb2);
            VectorMath.Add(s.X, s.Xb2, (long)rows * dim);
        }

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

    private static int BlockSizeOf(KvSequence sequence) => sequence.BlockSize;

    private static float* BlockPointer(float[] block) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(block));

    /// <summary>Attention of one layer over (row, head) pairs; one instance per forward call, reused across layers.</summary>
    private sealed class AttentionJob
    {
        private readonly Transformer _t;
        private readonly BatchState _s;
        private readonly Action<int> _body;
        private int _layer;
        private readonly int _heads;

        public AttentionJob(Transformer t, BatchState s)
        {
            _t = t;
            _s = s;
            _heads = t._c.Heads;
            _body = RunOne;
        }

        public Transformer Owner => _t;

        public void Run(int layer, int rows)
        {
            _layer = layer;
            var items = rows * _heads;
            WorkerTeam.Shared.Run(items, items < 4 ? 1 : _s.Threads, _body, _s.Parallel);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void RunOne(int item)
        {
            var c = _t._c;
            var s = _s;
            int r = item / _heads, h = item % _heads;
            int hs = c.HeadSize, kvDim = c.KvDim, l = _layer;
            var pos = s.Positions[r];
            var cache = s.Caches[r];
            var bs = cache.BlockSize;
            var q = s.Q + (long)r * c.Dim + h * hs;
            var att = new Span<float>(s.Att + ((long)r * c.Heads + h) * c.SeqLen, pos + 1);
            var kvOffset = (h / c.KvMul) * hs;
            var scale = MathF.Sqrt(hs);

            // Iterate over all timesteps, including the current one, block by block (no division per position).
            // Head sizes are small (8 to 128), so the loops are written inline rather than paying a library call
            // per position.
            var blocks = cache.Blocks;
            var keyOffset = (long)(l * 2) * bs * kvDim + kvOffset;
            for (int t = 0, j = 0; t <= pos; j++)
            {
                var k = BlockPointer(blocks[j]) + keyOffset;
                for (var end = Math.Min(pos + 1, t + bs); t < end; t++, k += kvDim)
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

            Sampling.Sampler.Softmax(att);

            // Weighted sum of the values, stored into xb: each slice of xb is accumulated in registers over all
            // positions, in position order, as llama2.c's xb[i] += a * v[i] loop does.
            var xb = s.Xb + (long)r * c.Dim + h * hs;
            var valueOffset = (long)(l * 2 + 1) * bs * kvDim + kvOffset;
            var slice = 0;
            for (; slice + 32 <= hs; slice += 32)
            {
                Vector256<float> x0 = default, x1 = default, x2 = default, x3 = default;
                for (int t = 0, j = 0; t <= pos; j++)
                {
                    var v = BlockPointer(blocks[j]) + valueOffset + slice;
                    for (var end = Math.Min(pos + 1, t + bs); t < end; t++, v += kvDim)
                    {
                        var a = Vector256.Create(att[t]);
                        x0 = Vector256.FusedMultiplyAdd(Vector256.Load(v), a, x0);
                        x1 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 8), a, x1);
                        x2 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 16), a, x2);
                        x3 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 24), a, x3);
                    }
                }

                x0.Store(xb + slice);
                x1.Store(xb + slice + 8);
                x2.Store(xb + slice + 16);
                x3.Store(xb + slice + 24);
            }

            for (; slice + 8 <= hs; slice += 8)
            {
                Vector256<float> x0 = default;
                for (int t = 0, j = 0; t <= pos; j++)
                {
                    var v = BlockPointer(blocks[j]) + valueOffset + slice;
                    for (var end = Math.Min(pos + 1, t + bs); t < end; t++, v += kvDim)
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
                    var v = BlockPointer(blocks[j]) + valueOffset + slice;
                    for (var end = Math.Min(pos + 1, t + bs); t < end; t++, v += kvDim)
                    {
                        sum += att[t] * *v;
                    }
                }

                xb[slice] = sum;
            }
        }
    }
}
