using System.Diagnostics;
using System.Globalization;
using Sluice.Engine.Inference;
using Sluice.Engine.Loading;
using Sluice.Engine.Sampling;

namespace Sluice.Engine.Cli;

/// <summary>
/// What <c>./sluice engine bench</c> measures: for each batch size, B sequences decoded together for N steps
/// (greedy, each sequence at its own position, one batched forward per step), reporting aggregate tokens/s and
/// the time per output token each sequence sees.
/// </summary>
internal sealed class EngineBenchRunner
{
    private readonly LoadedModel _model;
    private readonly Transformer _transformer;
    private readonly int _threads;
    private readonly Action<int> _argmax;
    private BatchState? _argmaxState;
    private int[] _argmaxTokens = [];

    /// <summary>How long each measurement first runs untimed steps.</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    public EngineBenchRunner(LoadedModel model, int threads)
    {
        _model = model;
        _transformer = new Transformer(model.Config, model.Weights);
        _threads = threads;
        _argmax = b => _argmaxTokens[b] = Sampler.Argmax(_argmaxState!.LogitsRow(b));
    }

    /// <summary>One batch size's result: the fastest of the repeats (other load only ever adds time) and the median.</summary>
    public readonly record struct Result(int Batch, int Steps, double Seconds, double MedianSeconds)
    {
        public double TokensPerSecond => Batch * Steps / Seconds;

        public double MedianTokensPerSecond => Batch * Steps / MedianSeconds;

        public double MsPerToken => Seconds * 1000 / Steps;
    }

    public Result Measure(int batch, int steps, int repeats = 3)
    {
        var c = _model.Config;
        steps = Math.Min(steps, c.SeqLen - 1);

        // One pool and one state for all repeats, as in serving: KV blocks are recycled, and touching every
        // block once up front keeps first-touch page faults out of the timed runs.
        var pool = new KvCachePool(c, 16, c.KvBytesPerToken * (long)(batch + 1) * (steps + 32));
        var state = new BatchState(c, _threads, batch);
        var prime = new KvSequence[batch];
        for (var b = 0; b < batch; b++)
        {
            prime[b] = KvSequence.TryCreate(pool, steps + 1) ?? throw new InvalidOperationException("KV budget");
            prime[b].EnsurePosition(steps);
            foreach (var block in prime[b].Blocks)
            {
                Array.Clear(block);
            }
        }

        foreach (var cache in prime)
        {
            cache.Dispose();
        }

        // Warm-up on a throwaway cache for a fixed time, not a fixed count: tiered compilation promotes a method
        // only after about 100 ms without new methods being compiled, so a few warm-up steps would leave batch 1
        // (measured first) running unoptimized code and understate it.
        using (var warm = KvSequence.TryCreate(pool, 4))
        {
            if (warm is not null)
            {
                var until = Stopwatch.GetTimestamp() + (long)(WarmUp.TotalSeconds * Stopwatch.Frequency);
                for (var step = 0; step < 3 || Stopwatch.GetTimestamp() < until; step++)
                {
                    for (var b = 0; b < batch; b++)
                    {
                        state.Tokens[b] = 1 + b;
                        state.Positions[b] = step % 4;
                        state.Caches[b] = warm;
                        state.LogitIndex[b] = b;
                    }

                    _transformer.Forward(state, batch);
                    Sampler.Argmax(state.LogitsRow(0));
                }
            }
        }

        var times = new double[Math.Max(1, repeats)];
        for (var i = 0; i < times.Length; i++)
        {
            times[i] = MeasureOnce(batch, steps, pool, state);
        }

        Array.Sort(times);
        return new Result(batch, steps, times[0], times[times.Length / 2]);
    }

    private double MeasureOnce(int batch, int steps, KvCachePool pool, BatchState state)
    {
        var c = _model.Config;
        var caches = new KvSequence[batch];
        for (var b = 0; b < batch; b++)
        {
            caches[b] = KvSequence.TryCreate(pool, steps + 1) ?? throw new InvalidOperationException("KV budget");
        }

        var tokens = new int[batch];
        for (var b = 0; b < batch; b++)
        {
            tokens[b] = 1 + (b * 7919 % (c.VocabSize - 1)); // different start tokens so sequences differ
        }

        var stopwatch = Stopwatch.StartNew();
        for (var pos = 0; pos < steps; pos++)
        {
            for (var b = 0; b < batch; b++)
            {
                state.Tokens[b] = tokens[b];
                state.Positions[b] = pos;
                state.Caches[b] = caches[b];
                state.LogitIndex[b] = b;
            }

            _transformer.Forward(state, batch);

            // Greedy picks spread over the engine's threads, as the server's SamplingJob spreads sampling.
            _argmaxState = state;
            _argmaxTokens = tokens;
            WorkerTeam.Shared.Run(batch, batch < 4 ? 1 : _threads, _argmax, state.Parallel);
        }

        var elapsed = stopwatch.Elapsed.TotalSeconds;
        foreach (var cache in caches)
        {
            cache.Dispose();
        }

        return elapsed;
    }

    /// <summary>Runs every batch size and prints a table; returns the results.</summary>
    public List<Result> Run(IReadOnlyList<int> batches, int steps, TextWriter output, int repeats = 3)
    {
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"model {_model.Path}"));
        output.WriteLine(string.Create(inv, $"      {_model.Format}, {_model.Config}"));
        output.WriteLine(string.Create(inv, $"      {_model.Config.ParameterCount / 1e6:F1}M parameters, {_threads} threads, {steps} steps per batch size, greedy, best of {repeats} runs (median in brackets), weights {(_model.OnHugePages ? "on huge pages" : "memory-mapped")}{(_model.Packed ? ", F32 matrices packed" : "")}"));
        output.WriteLine(" batch   tok/s (aggregate)   ms/token per sequence   speed-up vs batch 1");
        var results = new List<Result>();
        double? first = null;
        foreach (var batch in batches)
        {
            var r = Measure(batch, steps, repeats);
            results.Add(r);
            first ??= batch == 1 ? r.TokensPerSecond : null;
            var speedup = first is { } f ? $"{r.TokensPerSecond / f,8:F2}x" : "       -";
            output.WriteLine(string.Create(inv, $"{batch,6}   {r.TokensPerSecond,8:F1} ({r.MedianTokensPerSecond,6:F1})   {r.MsPerToken,21:F2}   {speedup}"));
            output.Flush();
        }

        return results;
    }
}
