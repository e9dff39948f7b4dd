using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sluice.Engine.Loading;

namespace Sluice.Engine.Inference;

/// <summary>
/// Runs up to three batched matrix products (e.g. Q, K and V, which read the same input) as one parallel region
/// split into row chunks. The body delegate is created once and reads the current job from fields, so a step
/// allocates no closures.
/// </summary>
internal sealed unsafe class MatMulJob
{
    [ThreadStatic]
    private static float[]? t_scratch;

    /// <summary>
    /// Chunks per thread and matrix. Every chunk starts by waiting on memory before its prefetch stream ramps up, and
    /// two per thread cost the small matrices of a 15M layer (288 x 288) about a tenth of their time at batch 16
    /// (one decode step alternated between the two settings in one process, 2026-11-21: qkv 0.48 → 0.43 ms,
    /// wo 0.19 → 0.16 ms a step), with no difference for the classifier or at 110M. Regions of two or three
    /// matrices still hand out two or three chunks per thread, which evens out a slow thread.
    /// </summary>
    private const int ChunksPerThread = 1;

    private readonly ParallelOptions _options;
    private readonly Action<int> _body;
    private readonly int _threads;
    private readonly WeightTensor[] _w = new WeightTensor[3];
    private readonly nint[] _y = new nint[3];
    private readonly int[] _chunkStart = new int[4];
    private readonly int[] _chunkCount = new int[3];
    private readonly int[] _unit = new int[3];
    private float* _x;
    private int _batch;
    private int _count;

    public MatMulJob(int threads)
    {
        _threads = Math.Max(1, threads);
        _options = new ParallelOptions { MaxDegreeOfParallelism = _threads };
        _body = RunChunk;
    }

    /// <summary>y_i[b, :] = W_i · x[b, :] for each pair given; x is (batch, cols), y_i is (batch, W_i.Rows).</summary>
    public void Run(float* x, int batch, in WeightTensor w0, float* y0) => Run(x, batch, 1, w0, y0, default, null, default, null);

    public void Run(float* x, int batch, in WeightTensor w0, float* y0, in WeightTensor w1, float* y1) => Run(x, batch, 2, w0, y0, w1, y1, default, null);

    public void Run(float* x, int batch, in WeightTensor w0, float* y0, in WeightTensor w1, float* y1, in WeightTensor w2, float* y2) =>
        Run(x, batch, 3, w0, y0, w1, y1, w2, y2);

    private void Run(float* x, int batch, int count, in WeightTensor w0, float* y0, in WeightTensor w1, float* y1, in WeightTensor w2, float* y2)
    {
        _x = x;
        _batch = batch;
        _count = count;
        _w[0] = w0;
        _w[1] = w1;
        _w[2] = w2;
        _y[0] = (nint)y0;
        _y[1] = (nint)y1;
        _y[2] = (nint)y2;
        var chunks = 0;
        for (var i = 0; i < count; i++)
        {
            // Chunks are whole kernel blocks (panels of 16 rows when packed, blocks of 4 otherwise), of at least four
            // blocks, spread as evenly as whole blocks allow: 288 rows as 144 + 144 (with four chunks, 72 each rather
            // than 80 + 80 + 80 + 48, whose last thread idled for a sixth of every small matrix).
            var unit = _w[i].Panels != null ? MatMulKernels.PanelRows : RowMajorKernels.RowBlock;
            var units = (_w[i].Rows + unit - 1) / unit;
            _unit[i] = unit;
            _chunkCount[i] = Math.Clamp(units / 4, 1, _threads * ChunksPerThread);
            _chunkStart[i] = chunks;
            chunks += _chunkCount[i];
        }

        _chunkStart[count] = chunks;
        WorkerTeam.Shared.Run(chunks, _threads, _body, _options);

        _x = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunChunk(int chunk)
    {
        var i = 0;
        while (chunk >= _chunkStart[i + 1])
        {
            i++;
        }

        ref readonly var w = ref _w[i];
        int local = chunk - _chunkStart[i], n = _chunkCount[i], unit = _unit[i];
        var units = (w.Rows + unit - 1) / unit;
        var start = (int)((long)local * units / n) * unit;
        var end = Math.Min(w.Rows, (int)((long)(local + 1) * units / n) * unit);
        var scratch = t_scratch;
        if (w.Panels == null && w.Type != TensorType.F32 && (scratch is null || scratch.Length < RowMajorKernels.ScratchFloats(w.Cols)))
        {
            scratch = t_scratch = GC.AllocateUninitializedArray<float>(RowMajorKernels.ScratchFloats(w.Cols), pinned: true);
        }

        var s = scratch is null ? null : (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(scratch));
        MatMulKernels.Rows(w, _x, _batch, (float*)_y[i], w.Rows, start, end, s);
    }
}
