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

    /// <summary>Bytes of weights processed as one L2-resident panel (float32 after dequantization).</summary>
    private const int PanelBytes = 192 * 1024;

    /// <summary>Bytes of activations kept L1-resident while a panel's row blocks stream past them.</summary>
    private const int TileBytes = 16 * 1024;

    /// <summary>Floats of scratch a thread needs for <paramref name="cols"/>-wide rows.</summary>
    public static int ScratchFloats(int cols) => PanelRows(cols) * cols;

    /// <summary>
    /// Computes rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of y for every batch row. x is
    /// (batch, cols) contiguous; y is (batch, <paramref name="yStride"/>). <paramref name="scratch"/> holds
    /// <see cref="ScratchFloats"/> floats for dequantized rows when W is not F32.
    /// </summary>
    /// <remarks>
    /// Loop nest: panels of rows small enough to stay in L2, then tiles of batch rows small enough to stay in L1,
    /// then blocks of four weight rows. The weights come from DRAM once per step (the first tile, with software
    /// prefetch), later tiles re-read the panel from L2; quantized panels are dequantized once into scratch.
    /// </remarks>
    public static void Rows(in WeightTensor w, float* x, int batch, float* y, int yStride, int rowStart, int rowEnd, float* scratch)
    {
        var cols = w.Cols;
        var panelRows = PanelRows(cols);
        var tile = Math.Clamp(TileBytes / (cols * sizeof(float)) & ~1, 2, 16);
        for (var panel = rowStart; panel < rowEnd; panel += panelRows)
        {
            var panelEnd = Math.Min(rowEnd, panel + panelRows);
            float* rows;
            if (w.Type == TensorType.F32)
            {
                rows = (float*)w.Data + (long)panel * cols;
            }
            else
            {
                for (var r = panel; r < panelEnd; r++)
                {
                    w.DequantizeRow(r, new Span<float>(scratch + (long)(r - panel) * cols, cols));
                }

                rows = scratch;
            }

            for (var b = 0; b < batch; b += tile)
            {
                var count = Math.Min(tile, batch - b);
                Panel(rows, panelEnd - panel, cols, x + (long)b * cols, count, y + (long)b * yStride + panel, yStride, b == 0 && w.Type == TensorType.F32 ? w.Data + rowEnd * w.RowBytes : null);
            }
        }
    }

    private static int PanelRows(int cols) => Math.Max(RowBlock, PanelBytes / (cols * sizeof(float)) / RowBlock * RowBlock);

    /// <summary>y[b, r] for r in [0, rows) of a float32 panel and b in [0, batch); prefetches up to <paramref name="prefetchEnd"/> when not null.</summary>
    private static void Panel(float* w, int rows, int cols, float* x, int batch, float* y, int yStride, byte* prefetchEnd)
    {
        var blockFloats = (long)RowBlock * cols;
        var r = 0;
        for (; r + RowBlock <= rows; r += RowBlock)
        {
            float* w0 = w + r * (long)cols, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols;

            // Row blocks are short (a few KB), too short for the hardware prefetcher to ramp up, so ask for the
            // block PrefetchDistance bytes ahead explicitly while this one is computed.
            if (prefetchEnd != null && Sse.IsSupported)
            {
                var ahead = (byte*)w0 + PrefetchDistance;
                var stop = Math.Min(prefetchEnd - ahead, blockFloats * sizeof(float));
                for (long o = 0; o < stop; o += 64)
                {
                    Sse.Prefetch0(ahead + o);
                }
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

        for (; r < rows; r++)
        {
            var w0 = w + r * (long)cols;
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
