using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sluice.Engine.Loading;

namespace Sluice.Engine.Inference;

/// <summary>
/// Batched matrix products over row-major weights, for tensors without packed panels (Q8_0 and F16, which stay
/// quantized in memory and are dequantized a panel of rows at a time): y[b, r] = W[r, :] · x[b, :]. Weight rows are taken four at a time and multiplied
/// against four batch rows at once (16 accumulators, so each loaded vector feeds four FMAs), and every batch row
/// meets a weight row while it sits in L1: each weight is read from memory once per step whatever the batch size,
/// a matrix–matrix product, not B matrix–vector products. Each (row, batch) pair is always reduced by the same
/// sequence of operations (8-wide FMA over k, then <see cref="Vector256.Sum{T}(Vector256{T})"/>, then the scalar
/// tail), whichever kernel variant computes it, so a sequence's logits do not depend on what else is in the batch.
/// </summary>
internal static unsafe class RowMajorKernels
{
    /// <summary>Rows processed together.</summary>
    public const int RowBlock = 4;

    /// <summary>
    /// How far ahead of the current row block weights are prefetched, in bytes. The prefetches for a block are
    /// spread over its batch groups (issued in one burst they overflow the core's miss buffers and stall), and
    /// they target L2 (<c>prefetcht1</c>), which tracks more misses in flight than L1: on Zen 4 this took batch 1
    /// from 1.8 to 1.5 ms per 15M step and batch 16 from 4.5 to 4.0 ms (T0 at 16 KB before).
    /// </summary>
    internal const int PrefetchDistance = 32 * 1024;

    /// <summary>Bytes of weights processed as one L2-resident panel (float32 after dequantization).</summary>
    internal const int PanelBytes = 192 * 1024;

    /// <summary>Bytes of activations kept cache-resident while a panel's row blocks stream past them.</summary>
    private const int TileBytes = 64 * 1024;

    /// <summary>
    /// Fewest batch rows in a tile. Re-reading a weight panel from L2 for a second tile costs more than reading
    /// x from L2, so up to 32 rows stay one tile whatever their width (110M at batch 16: 28 ms a step instead of 33).
    /// </summary>
    private const int MinTileRows = 32;

    /// <summary>Floats of scratch a thread needs for <paramref name="cols"/>-wide rows.</summary>
    public static int ScratchFloats(int cols) => PanelRows(cols) * cols;

    /// <summary>
    /// Computes rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of y for every batch row. x is
    /// (batch, cols) contiguous; y is (batch, <paramref name="yStride"/>). <paramref name="scratch"/> holds
    /// <see cref="ScratchFloats"/> floats for dequantized rows when W is not F32.
    /// </summary>
    /// <remarks>
    /// Loop nest: panels of rows small enough to stay in L2, then tiles of batch rows (one tile up to 32 rows),
    /// then blocks of four weight rows, then groups of four batch rows. The weights come from DRAM once per step
    /// (the first tile, with software prefetch), later tiles re-read the panel from L2; quantized panels are
    /// dequantized once into scratch. Compiled fully optimized at once: a forward step is a few calls, too few for
    /// tiering to promote the kernels before a short generation ends.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(in WeightTensor w, float* x, int batch, float* y, int yStride, int rowStart, int rowEnd, float* scratch)
    {
        var cols = w.Cols;
        var panelRows = PanelRows(cols);

        var tile = TileRows(batch, cols, RowBlock);
        if (w.Type == TensorType.F32 && Sse.IsSupported)
        {
            // The panel loop prefetches PrefetchDistance ahead of the block it computes; the chunk's own first
            // bytes are requested here, or every chunk of a small matrix would start with demand misses.
            Prefetch(w.Data + rowStart * w.RowBytes, 0, Math.Min(PrefetchDistance, (rowEnd - rowStart) * w.RowBytes));
        }

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
                var prefetchEnd = b == 0 && w.Type == TensorType.F32 ? w.Data + rowEnd * w.RowBytes : null;
                Panel(rows, panelEnd - panel, cols, x + (long)b * cols, count, y + (long)b * yStride + panel, yStride, prefetchEnd);
            }
        }
    }

    /// <summary>
    /// Batch rows per tile for <paramref name="cols"/>-wide rows: equal tiles, a multiple of
    /// <paramref name="multiple"/> rows where possible, rather than full tiles plus a ragged last one.
    /// </summary>
    internal static int TileRows(int batch, int cols, int multiple)
    {
        var maxTile = Math.Max(MinTileRows, TileBytes / (cols * sizeof(float)) / multiple * multiple);
        var tiles = (batch + maxTile - 1) / maxTile;
        var tile = (batch + tiles - 1) / tiles;
        return Math.Min(batch, (tile + multiple - 1) / multiple * multiple);
    }

    private static int PanelRows(int cols) => Math.Max(RowBlock, PanelBytes / (cols * sizeof(float)) / RowBlock * RowBlock);

    /// <summary>y[b, r] for r in [0, rows) of a float32 panel and b in [0, batch); prefetches up to <paramref name="prefetchEnd"/> when not null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel(float* w, int rows, int cols, float* x, int batch, float* y, int yStride, byte* prefetchEnd)
    {
        var blockBytes = (long)RowBlock * cols * sizeof(float);
        var groups = (batch + RowBlock - 1) / RowBlock;
        var perGroup = (blockBytes / groups + 63) & ~63L;
        var iterations = Sse.IsSupported ? cols / 8 : 0;
        var r = 0;
        for (; r + RowBlock <= rows; r += RowBlock)
        {
            var w0 = w + r * (long)cols;

            // Row blocks are short (a few KB), too short for the hardware prefetcher to ramp up, so the block
            // PrefetchDistance bytes ahead is requested explicitly, a slice before each group of batch rows.
            byte* ahead = null;
            long aheadBytes = 0, issued = 0;
            if (prefetchEnd != null && Sse.IsSupported)
            {
                ahead = (byte*)w0 + PrefetchDistance;
                aheadBytes = Math.Min(prefetchEnd - ahead, blockBytes);
            }

            var b = 0;
            for (; b + 4 <= batch; b += 4)
            {
                // The group's slice of prefetches is spread over its FMA loop, one per iteration, rather than
                // issued as a burst: a burst fills the miss buffers and the core stalls on it, while spread out
                // the misses overlap with the arithmetic.
                var slice = iterations == 0 ? 0 : Math.Min(aheadBytes, issued + perGroup) - issued;
                byte* pf;
                long step;
                if (slice > 0 && slice <= 128L * iterations)
                {
                    pf = ahead + issued;
                    step = (slice + iterations - 1) / iterations;
                    issued += slice;
                }
                else
                {
                    issued = Prefetch(ahead, issued, Math.Min(aheadBytes, issued + perGroup));
                    pf = (byte*)w0; // already in cache: the loop's prefetch is a no-op
                    step = 0;
                }

                Dot4x4(w0, cols, x + (long)b * cols, y + (long)b * yStride + r, yStride, pf, step);
            }

            issued = Prefetch(ahead, issued, aheadBytes);
            if (b + 2 <= batch)
            {
                Dot4x2(w0, cols, x + (long)b * cols, y + (long)b * yStride + r, yStride);
                b += 2;
            }

            if (b < batch)
            {
                Dot4x1(w0, cols, x + (long)b * cols, y + (long)b * yStride + r);
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

    /// <summary>Prefetches bytes [<paramref name="from"/>, <paramref name="to"/>) of <paramref name="ahead"/> into L2; returns where it stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Prefetch(byte* ahead, long from, long to)
    {
        for (; from < to; from += 64)
        {
            Sse.Prefetch1(ahead + from);
        }

        return from;
    }

    // Each kernel runs the same phases per (row, batch) pair: an 8-wide FMA loop, its horizontal sum, then a
    // scalar tail. Identical phases in every variant keep results independent of the batch composition.
    // (A 16-wide AVX-512 loop was measured: no gain on Zen 4, whose 512-bit FMA is double-pumped.)

    /// <summary>Four weight rows (w, w + n, …) against four batch rows (x, x + n, …); y rows are <paramref name="ys"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4x4(float* w0, int n, float* x0, float* y, int ys, byte* pf, long pfStep)
    {
        float* w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        float* x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        var k = 0;
        for (; k + 8 <= n; k += 8)
        {
            var v0 = Vector256.Load(x0 + k);
            var v1 = Vector256.Load(x1 + k);
            var v2 = Vector256.Load(x2 + k);
            var v3 = Vector256.Load(x3 + k);
            var u = Vector256.Load(w0 + k);
            a00 = Vector256.FusedMultiplyAdd(u, v0, a00);
            a01 = Vector256.FusedMultiplyAdd(u, v1, a01);
            a02 = Vector256.FusedMultiplyAdd(u, v2, a02);
            a03 = Vector256.FusedMultiplyAdd(u, v3, a03);
            u = Vector256.Load(w1 + k);
            a10 = Vector256.FusedMultiplyAdd(u, v0, a10);
            a11 = Vector256.FusedMultiplyAdd(u, v1, a11);
            a12 = Vector256.FusedMultiplyAdd(u, v2, a12);
            a13 = Vector256.FusedMultiplyAdd(u, v3, a13);
            u = Vector256.Load(w2 + k);
            a20 = Vector256.FusedMultiplyAdd(u, v0, a20);
            a21 = Vector256.FusedMultiplyAdd(u, v1, a21);
            a22 = Vector256.FusedMultiplyAdd(u, v2, a22);
            a23 = Vector256.FusedMultiplyAdd(u, v3, a23);
            u = Vector256.Load(w3 + k);
            a30 = Vector256.FusedMultiplyAdd(u, v0, a30);
            a31 = Vector256.FusedMultiplyAdd(u, v1, a31);
            a32 = Vector256.FusedMultiplyAdd(u, v2, a32);
            a33 = Vector256.FusedMultiplyAdd(u, v3, a33);
            if (Sse.IsSupported)
            {
                // A step is at most a block (4 rows) over cols / 8 iterations: 128 bytes, two lines.
                Sse.Prefetch1(pf);
                if (pfStep > 64)
                {
                    Sse.Prefetch1(pf + 64);
                }

                pf += pfStep;
            }
        }

        Finish4(w0, n, k, x0, a00, a10, a20, a30, y);
        Finish4(w0, n, k, x1, a01, a11, a21, a31, y + ys);
        Finish4(w0, n, k, x2, a02, a12, a22, a32, y + 2 * ys);
        Finish4(w0, n, k, x3, a03, a13, a23, a33, y + 3 * ys);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4x2(float* w0, int n, float* x0, float* y, int ys)
    {
        float* w1 = w0 + n, w2 = w1 + n, w3 = w2 + n, x1 = x0 + n;
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
        Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
        var k = 0;
        for (; k + 8 <= n; k += 8)
        {
            var v0 = Vector256.Load(x0 + k);
            var v1 = Vector256.Load(x1 + k);
            var u = Vector256.Load(w0 + k);
            a00 = Vector256.FusedMultiplyAdd(u, v0, a00);
            a01 = Vector256.FusedMultiplyAdd(u, v1, a01);
            u = Vector256.Load(w1 + k);
            a10 = Vector256.FusedMultiplyAdd(u, v0, a10);
            a11 = Vector256.FusedMultiplyAdd(u, v1, a11);
            u = Vector256.Load(w2 + k);
            a20 = Vector256.FusedMultiplyAdd(u, v0, a20);
            a21 = Vector256.FusedMultiplyAdd(u, v1, a21);
            u = Vector256.Load(w3 + k);
            a30 = Vector256.FusedMultiplyAdd(u, v0, a30);
            a31 = Vector256.FusedMultiplyAdd(u, v1, a31);
        }

        Finish4(w0, n, k, x0, a00, a10, a20, a30, y);
        Finish4(w0, n, k, x1, a01, a11, a21, a31, y + ys);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4x1(float* w0, int n, float* x0, float* y)
    {
        float* w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var k = 0;
        for (; k + 8 <= n; k += 8)
        {
            var v = Vector256.Load(x0 + k);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + k), v, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + k), v, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + k), v, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + k), v, a3);
        }

        Finish4(w0, n, k, x0, a0, a1, a2, a3, y);
    }

    /// <summary>y[i] = Σ lanes of a_i, then the scalar tail k..n of row w0 + i·n against x.</summary>
    /// <remarks>
    /// Three horizontal adds and one add reduce all four accumulators, in exactly the order of
    /// <see cref="Vector256.Sum{T}(Vector256{T})"/>: ((v0 + v1) + (v2 + v3)) + ((v4 + v5) + (v6 + v7)).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish4(float* w0, int n, int k, float* x, Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3, float* y)
    {
        if (k == n && Avx.IsSupported)
        {
            var h = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
            (h.GetLower() + h.GetUpper()).Store(y);
            return;
        }

        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (k > 0)
        {
            s0 += Vector256.Sum(a0);
            s1 += Vector256.Sum(a1);
            s2 += Vector256.Sum(a2);
            s3 += Vector256.Sum(a3);
        }

        float* w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        for (; k < n; k++)
        {
            s0 += w0[k] * x[k];
            s1 += w1[k] * x[k];
            s2 += w2[k] * x[k];
            s3 += w3[k] * x[k];
        }

        y[0] = s0;
        y[1] = s1;
        y[2] = s2;
        y[3] = s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot1(float* w0, float* x, int n)
    {
        var k = 0;
        var s = 0f;
        if (k + 8 <= n)
        {
            Vector256<float> a0 = default;
            for (; k + 8 <= n; k += 8)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + k), Vector256.Load(x + k), a0);
            }

            s += Vector256.Sum(a0);
        }

        for (; k < n; k++)
        {
            s += w0[k] * x[k];
        }

        return s;
    }
}
