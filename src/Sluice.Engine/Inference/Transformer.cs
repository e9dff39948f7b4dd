using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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

    /// <summary>t</summary>
    public static double[] T = new double[8];

    /// <summary>f</summary>
    public void Forward(BatchState s, int rows)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew(); double last = 0; void Mark(int i) { var now = sw.Elapsed.TotalMilliseconds; T[i] += now - last; last = now; }
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
            Mark(0); s.MatMul.Run(s.Xb, rows, layer.Wq, s.Q, layer.Wk, s.K, layer.Wv, s.V); Mark(1);

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
            Mark(0); attention.Run(l, rows); Mark(2);

            // Final matmul to get the output of the attention, then the residual connection back into x.
            s.MatMul.Run(s.Xb, rows, layer.Wo, s.Xb2); Mark(1);
            TensorPrimitives.Add(new ReadOnlySpan<float>(s.X, rows * dim), new ReadOnlySpan<float>(s.Xb2, rows * dim), new Span<float>(s.X, rows * dim));

            // Ffn rmsnorm.
            for (var r = 0; r < rows; r++)
            {
                RmsNorm(s.Xb + (long)r * dim, s.X + (long)r * dim, layer.RmsFfn, dim, _c.NormEps);
            }

            // self.w2(F.silu(self.w1(x)) * self.w3(x)): first w1 and w3 together.
            Mark(0); s.MatMul.Run(s.Xb, rows, layer.W1, s.Hb, layer.W3, s.Hb2); Mark(1);

            // SwiGLU non-linearity: silu(x) = x * σ(x), then elementwise multiply with w3(x).
            var n = (long)rows * hidden;
            for (long i = 0; i < n; i++)
            {
                var val = s.Hb[i];
                val *= 1.0f / (1.0f + MathF.Exp(-val));
                s.Hb[i] = val * s.Hb2[i];
            }

            // Final matmul to get the output of the ffn, then the residual connection.
            Mark(3); s.MatMul.Run(s.Hb, rows, layer.W2, s.Xb2); Mark(1);
            TensorPrimitives.Add(new ReadOnlySpan<float>(s.X, rows * dim), new ReadOnlySpan<float>(s.Xb2, rows * dim), new Span<float>(s.X, rows * dim));
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

        Mark(0); s.MatMul.Run(s.Xb, logitRows, _w.Classifier, s.Logits); Mark(4);
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
            if (_s.Threads == 1 || items < 4)
            {
                for (var i = 0; i < items; i++)
                {
                    RunOne(i);
                }
            }
            else
            {
                Parallel.For(0, items, _s.Parallel, _body);
            }
        }

        private void RunOne(int item)
        {
            var c = _t._c;
            var s = _s;
            int r = item / _heads, h = item % _heads;
            int hs = c.HeadSize, kvDim = c.KvDim, l = _layer;
            var pos = s.Positions[r];
            var cache = s.Caches[r];
            var bs = cache.BlockSize;
            var q = new ReadOnlySpan<float>(s.Q + (long)r * c.Dim + h * hs, hs);
            var att = new Span<float>(s.Att + ((long)r * c.Heads + h) * c.SeqLen, pos + 1);
            var kvOffset = (h / c.KvMul) * hs;
            var scale = MathF.Sqrt(hs);

            // Iterate over all timesteps, including the current one.
            var blocks = cache.Blocks;
            for (var t = 0; t <= pos; t++)
            {
                var block = BlockPointer(blocks[t / bs]);
                var k = new ReadOnlySpan<float>(block + ((long)(l * 2) * bs + t % bs) * kvDim + kvOffset, hs);
                att[t] = TensorPrimitives.Dot(q, k) / scale;
            }

            Sampling.Sampler.Softmax(att);

            // Weighted sum of the values, stored into xb.
            var xb = new Span<float>(s.Xb + (long)r * c.Dim + h * hs, hs);
            xb.Clear();
            for (var t = 0; t <= pos; t++)
            {
                var block = BlockPointer(blocks[t / bs]);
                var v = new ReadOnlySpan<float>(block + ((long)(l * 2 + 1) * bs + t % bs) * kvDim + kvOffset, hs);
                TensorPrimitives.MultiplyAdd(v, att[t], xb, xb);
            }
        }
    }
}
