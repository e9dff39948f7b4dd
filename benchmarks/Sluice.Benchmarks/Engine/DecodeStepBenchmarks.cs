using BenchmarkDotNet.Attributes;
using Sluice.Engine.Inference;
using Sluice.Engine.Loading;

namespace Sluice.Benchmarks.Engine;

/// <summary>
/// One batched decode step (B sequences, each at position 64, one forward pass including the classifier) on
/// synthetic 15M- and 110M-shaped models, F32 (row-major or packed) and Q8_0, weights on huge pages as the server
/// loads them. Tokens/s = Batch / mean time.
/// </summary>
[MemoryDiagnoser]
public class DecodeStepBenchmarks
{
    private const int Position = 64;

    private LoadedModel? _model;
    private Transformer? _transformer;
    private BatchState? _state;
    private KvSequence[] _caches = [];

    [Params("15M", "110M")]
    public string Shape { get; set; } = "15M";

    [Params("F32", "Q8_0")]
    public string Type { get; set; } = "F32";

    /// <summary>F32 matrices packed for the outer-product kernels (<c>Sluice:Engine:PackWeights</c>); no effect on Q8_0.</summary>
    [Params(false, true)]
    public bool Packed { get; set; }

    [Params(1, 4, 16, 32)]
    public int Batch { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        _model = ModelLoader.Load(SyntheticModels.Path(Shape, Type), hugePages: true, packWeights: Packed);
        var c = _model.Config;
        _transformer = new Transformer(c, _model.Weights);
        var pool = new KvCachePool(c, 16, c.KvBytesPerToken * (Position + 16) * Batch);
        _caches = new KvSequence[Batch];
        _state = new BatchState(c, Environment.ProcessorCount, Batch);

        // Fill every cache up to Position so the measured step attends over a realistic context.
        for (var b = 0; b < Batch; b++)
        {
            _caches[b] = KvSequence.TryCreate(pool, Position + 1)!;
        }

        for (var pos = 0; pos < Position; pos++)
        {
            Fill(pos);
            _transformer.Forward(_state, Batch);
        }
    }

    [Benchmark]
    public float DecodeStep()
    {
        Fill(Position);
        _transformer!.Forward(_state!, Batch);
        return _state!.LogitsRow(0)[0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var cache in _caches)
        {
            cache.Dispose();
        }

        _model?.Dispose();
    }

    private void Fill(int pos)
    {
        for (var b = 0; b < Batch; b++)
        {
            _state!.Tokens[b] = 1 + b * 31;
            _state.Positions[b] = pos;
            _state.Caches[b] = _caches[b];
            _state.LogitIndex[b] = b;
        }
    }
}
