using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sluice.Engine.Loading;

namespace Sluice.Engine.Inference;

/// <summary>
/// Batched matrix products y[b, r] = W[r, :] · x[b, :]. Rows are taken four at a time and every batch row is
/// multiplied against them while they sit in L1, so each weight is read from memory once per step whatever the
/// batch size: a matrix–matrix product, not B matrix–vector products. Each (row, batch) pair is always reduced
/// by the same sequence of operations (8-wide FMA over k, then the same horizontal sum, then the scalar tail),
/// whichever kernel variant computes it, so a sequence's logits do not depend on what else is in the batch.
/// </summary>
internal static unsafe class MatMulKernels
{
    /// <summary>Rows processed together.</summary>
    public const int RowBlock = 4;

    /// <summary>How far ahead of the current row block weights are prefetched, in bytes.</summary>
    private const int PrefetchDistance = 16 * 1024;

    /// <summary>
    /// Computes rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of y for every batch row. x is
    /// (batch, cols) contiguous; y is (batch, <paramref name="yStride"/>). <paramref name="scratch"/> holds
    /// 4 * cols floats for dequantized rows when W is not F32.
    /// </summary>
    public static void Rows(in WeightTensor w, float* x, int batch, float* y, int yStride, int rowStart, int rowEnd, float* scratch)
    {
        var cols = w.Cols;
        var r = rowStart;
        var rowBytes = w.RowBytes;
        var blockBytes = rowBytes * RowBlock;
        var end = w.Data + rowEnd * rowBytes;
        for (; r + RowBlock <= rowEnd; r += RowBlock)
        {
            // Weights stream from DRAM once per step; row blocks are short (a few KB), too short for the
            // hardware prefetcher to ramp up, so ask for the block PrefetchDistance bytes ahead explicitly.
            if (Sse.IsSupported)
            {
                var ahead = w.Data + r * rowBytes + PrefetchDistance;
                var stop = Math.Min((long)(end - ahead), blockBytes);
                for (long o = 0; o < stop; o += 64)
                {
                    Sse.Prefetch0(ahead + o);
                }
            }

            float* w0, w1, w2, w3;
            if (w.Type == TensorType.F32)
            {
                w0 = (float*)w.Data + (long)r * cols;
                w1 = w0 + cols;
                w2 = w1 + cols;
                w3 = w2 + cols;
            }
            else
            {
                // Dequantize just these four rows; the cost is shared by every batch row.
                var s = new Span<float>(scratch, RowBlock * cols);
                w.DequantizeRow(r, s[..cols]);
                w.DequantizeRow(r + 1, s.Slice(cols, cols));
                w.DequantizeRow(r + 2, s.Slice(2 * cols, cols));
                w.DequantizeRow(r + 3, s.Slice(3 * cols, cols));
                w0 = scratch;
                w1 = w0 + cols;
                w2 = w1 + cols;
                w3 = w2 + cols;
            }

            var b = 0;
            for (; b + 2 <= batch; b += 2)
            {
                Dot4x2(w0, w1, w2, w3, x + (long)b * cols, x + (long)(b + 1) * cols, cols, y + (long)b * yStride + r, y + (long)(b + 1) * yStride + r);
            }

            if (b < batch)
            {
                Dot4x1(w0, w1, w2, w3, x + (long)b * cols, cols, y + (long)b * yStride + r);
            }
        }

        for (; r < rowEnd; r++)
        {
            float* w0;
            if (w.Type == TensorType.F32)
            {
                w0 = (float*)w.Data + (long)r * cols;
            }
            else
            {
                w.DequantizeRow(r, new Span<float>(scratch, cols));
                w0 = scratch;
            }

            for (var b = 0; b < batch; b++)
            {
                y[(long)b * yStride + r] = Dot1(w0, x + (long)b * cols, cols);
            }
        }
    }

    // Each kernel runs the same phases per (row, batch) pair: an 8-wide FMA loop, its horizontal sum, then a
    // scalar tail. Identical phases in every variant keep results independent of the batch composition.
    // (A 16-wide AVX-512 loop was measured: no gain on Zen 4, whose 512-bit FMA is double-pumped.)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4x2(float* w0, float* w1, float* w2, float* w3, float* xa, float* xb, int n, float* ya, float* yb)
    {
        var k = 0;
        float sa0 = 0, sa1 = 0, sa2 = 0, sa3 = 0, sb0 = 0, sb1 = 0, sb2 = 0, sb3 = 0;
        if (k + 8 <= n)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            for (; k + 8 <= n; k += 8)
            {
                var va = Vector256.Load(xa + k);
                var vb = Vector256.Load(xb + k);
                var v0 = Vector256.Load(w0 + k);
                a0 = Vector256.FusedMultiplyAdd(v0, va, a0);
                b0 = Vector256.FusedMultiplyAdd(v0, vb, b0);
                var v1 = Vector256.Load(w1 + k);
                a1 = Vector256.FusedMultiplyAdd(v1, va, a1);
                b1 = Vector256.FusedMultiplyAdd(v1, vb, b1);
                var v2 = Vector256.Load(w2 + k);
                a2 = Vector256.FusedMultiplyAdd(v2, va, a2);
                b2 = Vector256.FusedMultiplyAdd(v2, vb, b2);
                var v3 = Vector256.Load(w3 + k);
                a3 = Vector256.FusedMultiplyAdd(v3, va, a3);
                b3 = Vector256.FusedMultiplyAdd(v3, vb, b3);
            }

            sa0 += Vector256.Sum(a0); sa1 += Vector256.Sum(a1); sa2 += Vector256.Sum(a2); sa3 += Vector256.Sum(a3);
            sb0 += Vector256.Sum(b0); sb1 += Vector256.Sum(b1); sb2 += Vector256.Sum(b2); sb3 += Vector256.Sum(b3);
        }

        for (; k < n; k++)
        {
            sa0 += w0[k] * xa[k];
            sa1 += w1[k] * xa[k];
            sa2 += w2[k] * xa[k];
            sa3 += w3[k] * xa[k];
            sb0 += w0[k] * xb[k];
            sb1 += w1[k] * xb[k];
            sb2 += w2[k] * xb[k];
            sb3 += w3[k] * xb[k];
        }

        ya[0] = sa0;
        ya[1] = sa1;
        ya[2] = sa2;
        ya[3] = sa3;
        yb[0] = sb0;
        yb[1] = sb1;
        yb[2] = sb2;
        yb[3] = sb3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4x1(float* w0, float* w1, float* w2, float* w3, float* xa, int n, float* ya)
    {
        var k = 0;
        float sa0 = 0, sa1 = 0, sa2 = 0, sa3 = 0;
        if (k + 8 <= n)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; k + 8 <= n; k += 8)
            {
                var va = Vector256.Load(xa + k);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + k), va, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + k), va, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + k), va, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + k), va, a3);
            }

            sa0 += Vector256.Sum(a0); sa1 += Vector256.Sum(a1); sa2 += Vector256.Sum(a2); sa3 += Vector256.Sum(a3);
        }

        for (; k < n; k++)
        {
            sa0 += w0[k] * xa[k];
            sa1 += w1[k] * xa[k];
            sa2 += w2[k] * xa[k];
            sa3 += w3[k] * xa[k];
        }

        ya[0] = sa0;
        ya[1] = sa1;
        ya[2] = sa2;
        ya[3] = sa3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot1(float* w0, float* xa, int n)
    {
        var k = 0;
        var s = 0f;
        if (k + 8 <= n)
        {
            Vector256<float> a0 = default;
            for (; k + 8 <= n; k += 8)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + k), Vector256.Load(xa + k), a0);
            }

            s += Vector256.Sum(a0);
        }

        for (; k < n; k++)
        {
            s += w0[k] * xa[k];
        }

        return s;
    }
}
