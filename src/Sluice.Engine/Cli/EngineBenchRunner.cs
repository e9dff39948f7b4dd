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

    /// <summary>
    /// Allocates the KV pool and state for one batch size and warms its step path up. One pool and one state serve all
    /// repeats, as in serving: KV blocks are recycled, and touching every block once up front keeps first-touch page
    /// faults out of the timed runs.
    /// </summary>
    private (KvCachePool Pool, BatchState State) Prepare(int batch, int steps)
    {
        var c = _model.Config;
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
                        state.Tokens[b] = StartToken(b);
                        state.Positions[b] = step % 4;
                        state.Caches[b] = warm;
                        state.LogitIndex[b] = b;
                    }

                    _transformer.Forward(state, batch);
                    Sampler.Argmax(state.LogitsRow(0));
                }
            }
        }

        return (pool, state);
    }

    private double MeasureOnce(int batch, int steps, KvCachePool pool, BatchState state)
    {
        var caches = new KvSequence[batch];
        for (var b = 0; b < batch; b++)
        {
            caches[b] = KvSequence.TryCreate(pool, steps + 1) ?? throw new InvalidOperationException("KV budget");
        }

        var tokens = new int[batch];
        for (var b = 0; b < batch; b++)
        {
            tokens[b] = StartToken(b);
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

    /// <summary>
    /// The first token of sequence <paramref name="b"/>: different ones so sequences differ, never BOS and always in
    /// the vocabulary, however large the batch.
    /// </summary>
    private int StartToken(int b) => 1 + (int)(b * 7919L % (_model.Config.VocabSize - 1));

    /// <summary>
    /// Runs every batch size and prints a table; returns the results. The repeats go round the batch sizes (1, 4, 16,
    /// then 1, 4, 16 again …) rather than one batch size after another: the host's compute comes and goes (on this
    /// project's VMs the two vCPUs deliver one core's FMA throughput in about a third of half-second windows), and a
    /// ratio between batch sizes is only fair when every batch size samples the same stretch of time.
    /// </summary>
    public List<Result> Run(IReadOnlyList<int> batches, int steps, TextWriter output, int repeats = 3)
    {
        ArgumentOutOfRangeException.ThrowIfZero(batches.Count, nameof(batches));
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var inv = CultureInfo.InvariantCulture;
        steps = Math.Min(steps, _model.Config.SeqLen - 1);
        output.WriteLine(string.Create(inv, $"model {_model.Path}"));
        output.WriteLine(string.Create(inv, $"      {_model.Format}, {_model.Config}"));
        output.WriteLine(string.Create(inv, $"      {_model.Config.ParameterCount / 1e6:F1}M parameters, {_threads} threads, {steps} steps per batch size, greedy, best of {repeats} runs taken in turn across the batch sizes (median in brackets), weights {(_model.OnHugePages ? "on huge pages" : "memory-mapped")}{(_model.Packed ? ", F32 matrices packed" : "")}"));
        var setups = new (KvCachePool Pool, BatchState State)[batches.Count];
        for (var i = 0; i < batches.Count; i++)
        {
            setups[i] = Prepare(batches[i], steps);
        }

        var times = new double[batches.Count][];
        for (var i = 0; i < batches.Count; i++)
        {
            times[i] = new double[Math.Max(1, repeats)];
        }

        for (var rep = 0; rep < times[0].Length; rep++)
        {
            for (var i = 0; i < batches.Count; i++)
            {
                times[i][rep] = MeasureOnce(batches[i], steps, setups[i].Pool, setups[i].State);
            }
        }

        // The speed-up of the fastest runs and, in brackets, of the medians: batch 1 is bound by memory bandwidth,
        // which on a shared host has lucky windows that a best-of picks up, and the medians show the typical state.
        output.WriteLine(" batch   tok/s (aggregate)   ms/token per sequence   speed-up vs batch 1 (of medians)");
        var results = new List<Result>();
        Result? first = null;
        for (var i = 0; i < batches.Count; i++)
        {
            Array.Sort(times[i]);
            var r = new Result(batches[i], steps, times[i][0], times[i][times[i].Length / 2]);
            results.Add(r);
            first ??= r.Batch == 1 ? r : null;
            var speedup = first is { } f
                ? string.Create(inv, $"{r.TokensPerSecond / f.TokensPerSecond,8:F2}x ({r.MedianTokensPerSecond / f.MedianTokensPerSecond:F2}x)")
                : "       -";
            output.WriteLine(string.Create(inv, $"{r.Batch,6}   {r.TokensPerSecond,8:F1} ({r.MedianTokensPerSecond,6:F1})   {r.MsPerToken,21:F2}   {speedup}"));
        }

        output.Flush();
        return results;
    }
}
