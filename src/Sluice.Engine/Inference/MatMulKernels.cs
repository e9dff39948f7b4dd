using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sluice.Engine.Loading;

namespace Sluice.Engine.Inference;

/// <summary>
/// Batched matrix products y[b, r] = W[r, :] · x[b, :] for weights packed at load (<see cref="WeightPacker"/>,
/// opt-in), as outer products over panels of 16 weight rows stored
/// k-major (<see cref="PanelRows"/>; see <see cref="PackPanel"/>): for each k, two vectors hold W[r .. r + 16, k]
/// and every batch row's x[b, k] is broadcast against them, so each accumulator lane is one output and no
/// horizontal reduction is needed. Each weight is read from memory once per step whatever the batch size (a
/// matrix–matrix product, not B matrix–vector products).
/// </summary>
/// <remarks>
/// <para>
/// Every output is one FMA chain over k = 0 … cols − 1 in order, whichever kernel variant computes it and
/// whatever else is in the batch, so a sequence's logits do not depend on the batch composition.
/// </para>
/// <para>
/// Why: each panel is one contiguous stream, so at batch 1, where a step is bound by streaming the weights, the
/// packed layout is 20–50 % faster than the row-major kernels (<see cref="RowMajorKernels"/>, four rows as four
/// streams); at batch 16 the two are within noise of each other in C# (from L2, one core: this 16 × 4 kernel
/// 105 GFLOPS, the row-major 4 × 4 95; a 16 × 8 one, whose registers need the longer EVEX encodings, only 98,
/// where the same kernel in C reaches 115). The price is a copy of the
/// F32 matrices at load; packing on the fly every step cost more than it saved, so unpacked tensors (the default,
/// and quantized ones always) use the row-major kernels. A model's two layouts round differently (one FMA chain
/// per output here, eight-lane partial sums there), so one model never mixes them: batching stays exact.
/// </para>
/// </remarks>
internal static unsafe class MatMulKernels
{
    /// <summary>Weight rows in a panel: two 8-lane vectors.</summary>
    public const int PanelRows = 16;

    // Prefetch distance, L2 group size and batch tiles are those of the row-major kernels (RowMajorKernels), which
    // were measured; the packed stream of a group is as long as a row-major panel.
    private const int PrefetchDistance = RowMajorKernels.PrefetchDistance;
    private const int GroupBytes = RowMajorKernels.PanelBytes;

    /// <summary>Panels of <paramref name="rows"/> rows (the last one zero-padded).</summary>
    public static int Panels(int rows) => (rows + PanelRows - 1) / PanelRows;

    /// <summary>Floats of a whole <paramref name="rows"/> × <paramref name="cols"/> matrix in panel layout.</summary>
    public static long PackedFloats(int rows, int cols) => (long)Panels(rows) * PanelRows * cols;

    /// <summary>
    /// Writes <paramref name="valid"/> (at most 16) row-major float rows at <paramref name="src"/>, each
    /// <paramref name="cols"/> wide, as one panel: <c>panel[k * 16 + j] = src[j, k]</c>, zeros for rows j ≥ valid.
    /// </summary>
    public static void PackPanel(float* src, int valid, int cols, float* panel)
    {
        var k = 0;
        if (valid == PanelRows && Avx.IsSupported)
        {
            for (; k + 8 <= cols; k += 8)
            {
                Transpose8x8(src + k, cols, panel + k * PanelRows);
                Transpose8x8(src + 8L * cols + k, cols, panel + k * PanelRows + 8);
            }
        }

        for (; k < cols; k++)
        {
            for (var j = 0; j < PanelRows; j++)
            {
                panel[k * PanelRows + j] = j < valid ? src[(long)j * cols + k] : 0f;
            }
        }
    }

    /// <summary>
    /// Computes rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of y for every batch row;
    /// <paramref name="rowStart"/> is a multiple of <see cref="PanelRows"/>. x is (batch, cols) contiguous; y is
    /// (batch, <paramref name="yStride"/>). A tensor without packed panels (Q8_0, F16) goes to
    /// <see cref="RowMajorKernels"/>, which dequantizes into <paramref name="scratch"/>
    /// (<see cref="RowMajorKernels.ScratchFloats"/> floats).
    /// </summary>
    /// <remarks>
    /// Loop nest: groups of panels small enough to stay in L2, then tiles of batch rows (one tile up to 32 rows),
    /// then panels, then groups of batch rows. The weights come from memory once per step (the first tile, with
    /// software prefetch); later tiles re-read the group from L2. Compiled fully optimized at once: a forward step
    /// is a few calls, too few for tiering to promote the kernels before a short generation ends.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(in WeightTensor w, float* x, int batch, float* y, int yStride, int rowStart, int rowEnd, float* scratch)
    {
        var packed = w.Panels;
        if (packed == null)
        {
            RowMajorKernels.Rows(w, x, batch, y, yStride, rowStart, rowEnd, scratch);
            return;
        }

        var cols = w.Cols;
        var groupRows = GroupRows(cols);

        var tile = RowMajorKernels.TileRows(batch, cols, 4);

        // The chunk's own first bytes (at least its first panel) are requested here; the kernels prefetch at least a
        // panel ahead from then on.
        var streamEnd = (byte*)(packed + (long)Panels(rowEnd) * PanelRows * cols);
        if (Sse.IsSupported)
        {
            var start = (byte*)(packed + (long)rowStart * cols);
            for (var p = start; p < streamEnd && p < start + Math.Max(PrefetchDistance, (long)cols * PanelRows * sizeof(float)); p += 64)
            {
                Sse.Prefetch1(p);
            }
        }

        for (var group = rowStart; group < rowEnd; group += groupRows)
        {
            var groupEnd = Math.Min(rowEnd, group + groupRows);
            var panels = packed + (long)group * cols;
            for (var b = 0; b < batch; b += tile)
            {
                var count = Math.Min(tile, batch - b);
                Group(panels, groupEnd - group, cols, x + (long)b * cols, count, y + (long)b * yStride + group, yStride, b == 0 ? streamEnd : null);
            }
        }
    }

    /// <summary>Kernel calls <see cref="Group"/> makes per panel for <paramref name="batch"/> rows.</summary>
    private static int KernelCalls(int batch)
    {
        var calls = 0;
        for (var b = 0; b < batch; calls++)
        {
            b += b + 4 <= batch ? 4 : b + 2 <= batch ? 2 : 1;
        }

        return calls;
    }

    private static int GroupRows(int cols) => Math.Max(PanelRows, GroupBytes / (cols * sizeof(float)) / PanelRows * PanelRows);

    /// <summary>
    /// y[b, r] for r in [0, <paramref name="rows"/>) of packed panels and b in [0, <paramref name="batch"/>);
    /// prefetches ahead while that stays before <paramref name="streamEnd"/> (null: the panels are in cache).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group(float* panels, int rows, int cols, float* x, int batch, float* y, int ys, byte* streamEnd)
    {
        var partial = stackalloc float[4 * PanelRows];

        // The next panels' prefetches are spread evenly over each panel's kernel calls (one batch group each), so
        // memory sees a steady stream rather than a burst during the first call and nothing after it.
        var calls = KernelCalls(batch);
        var panelBytes = (long)cols * PanelRows * sizeof(float);
        var lead = Math.Max(PrefetchDistance, panelBytes);
        for (var r = 0; r < rows; r += PanelRows)
        {
            var p = panels + (long)r * cols;
            var ahead = streamEnd != null && (byte*)p + lead + panelBytes <= streamEnd;
            var pf = ahead ? (byte*)p + lead : (byte*)p;
            var pfStep = ahead ? panelBytes / calls / cols : 0;
            var valid = Math.Min(PanelRows, rows - r);
            for (var b = 0; b < batch;)
            {
                // A partial last panel is computed into a scratch tile and its valid columns copied out.
                var direct = valid == PanelRows;
                var o = direct ? y + (long)b * ys + r : partial;
                var os = direct ? ys : PanelRows;
                var xb = x + (long)b * cols;
                int n;
                if (b + 4 <= batch)
                {
                    Kernel16x4(p, cols, xb, o, os, pf, pfStep);
                    n = 4;
                }
                else if (b + 2 <= batch)
                {
                    Kernel16x2(p, cols, xb, o, os, pf, pfStep);
                    n = 2;
                }
                else
                {
                    Kernel16x1(p, cols, xb, o, pf, pfStep);
                    n = 1;
                }

                if (!direct)
                {
                    for (var i = 0; i < n; i++)
                    {
                        new ReadOnlySpan<float>(partial + i * PanelRows, valid).CopyTo(new Span<float>(y + (long)(b + i) * ys + r, valid));
                    }
                }

                pf += pfStep * cols;
                b += n;
            }
        }
    }

    // The kernels below differ only in how many batch rows they carry (register blocking); each output is the same
    // FMA chain over k in every one of them. pf is prefetched every k step and advanced by pfStep bytes (the
    // call's share of the next panel); with nothing to fetch it stays on the panel itself, in cache (a branch in
    // the loop cost more than the redundant prefetch).

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel16x4(float* p, int n, float* x, float* y, int ys, byte* pf, long pfStep)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        long s1 = n, s2 = 2L * n, s3 = 3L * n;
        for (var k = 0; k < n; k++, p += PanelRows, x++)
        {
            var u = Vector256.Load(p);
            var v = Vector256.Load(p + 8);
            var e = Vector256.Create(x[0]);
            a0 = Vector256.FusedMultiplyAdd(u, e, a0);
            c0 = Vector256.FusedMultiplyAdd(v, e, c0);
            e = Vector256.Create(x[s1]);
            a1 = Vector256.FusedMultiplyAdd(u, e, a1);
            c1 = Vector256.FusedMultiplyAdd(v, e, c1);
            e = Vector256.Create(x[s2]);
            a2 = Vector256.FusedMultiplyAdd(u, e, a2);
            c2 = Vector256.FusedMultiplyAdd(v, e, c2);
            e = Vector256.Create(x[s3]);
            a3 = Vector256.FusedMultiplyAdd(u, e, a3);
            c3 = Vector256.FusedMultiplyAdd(v, e, c3);
            if (Sse.IsSupported)
            {
                Sse.Prefetch1(pf);
            }

            pf += pfStep;
        }

        Store(y, a0, c0);
        Store(y + ys, a1, c1);
        Store(y + 2L * ys, a2, c2);
        Store(y + 3L * ys, a3, c3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel16x2(float* p, int n, float* x, float* y, int ys, byte* pf, long pfStep)
    {
        Vector256<float> a0 = default, a1 = default, c0 = default, c1 = default;
        long s1 = n;
        for (var k = 0; k < n; k++, p += PanelRows, x++)
        {
            var u = Vector256.Load(p);
            var v = Vector256.Load(p + 8);
            var e = Vector256.Create(x[0]);
            a0 = Vector256.FusedMultiplyAdd(u, e, a0);
            c0 = Vector256.FusedMultiplyAdd(v, e, c0);
            e = Vector256.Create(x[s1]);
            a1 = Vector256.FusedMultiplyAdd(u, e, a1);
            c1 = Vector256.FusedMultiplyAdd(v, e, c1);
            if (Sse.IsSupported)
            {
                Sse.Prefetch1(pf);
            }

            pf += pfStep;
        }

        Store(y, a0, c0);
        Store(y + ys, a1, c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel16x1(float* p, int n, float* x, float* y, byte* pf, long pfStep)
    {
        Vector256<float> a0 = default, c0 = default;
        for (var k = 0; k < n; k++, p += PanelRows, x++)
        {
            var e = Vector256.Create(x[0]);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(p), e, a0);
            c0 = Vector256.FusedMultiplyAdd(Vector256.Load(p + 8), e, c0);
            if (Sse.IsSupported)
            {
                Sse.Prefetch1(pf);
            }

            pf += pfStep;
        }

        Store(y, a0, c0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, Vector256<float> lo, Vector256<float> hi)
    {
        lo.Store(y);
        hi.Store(y + 8);
    }

    /// <summary>dst[t * 16 + j] = src[j * stride + t] for an 8 × 8 block: rows of W become k-major lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int stride, float* dst)
    {
        var r0 = Vector256.Load(src);
        var r1 = Vector256.Load(src + stride);
        var r2 = Vector256.Load(src + 2L * stride);
        var r3 = Vector256.Load(src + 3L * stride);
        var r4 = Vector256.Load(src + 4L * stride);
        var r5 = Vector256.Load(src + 5L * stride);
        var r6 = Vector256.Load(src + 6L * stride);
        var r7 = Vector256.Load(src + 7L * stride);

        // Pairs interleaved, then quads (columns t and t + 4 of four rows), then 128-bit halves exchanged.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).Store(dst);
        Avx.Permute2x128(u1, u5, 0x20).Store(dst + PanelRows);
        Avx.Permute2x128(u2, u6, 0x20).Store(dst + 2 * PanelRows);
        Avx.Permute2x128(u3, u7, 0x20).Store(dst + 3 * PanelRows);
        Avx.Permute2x128(u0, u4, 0x31).Store(dst + 4 * PanelRows);
        Avx.Permute2x128(u1, u5, 0x31).Store(dst + 5 * PanelRows);
        Avx.Permute2x128(u2, u6, 0x31).Store(dst + 6 * PanelRows);
        Avx.Permute2x128(u3, u7, 0x31).Store(dst + 7 * PanelRows);
    }
}
