using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Sluice.Core.Models;
using Sluice.Engine.Inference;
using Sluice.Engine.Loading;
using Sluice.Engine.Sampling;
using Sluice.Engine.Tokenization;

namespace Sluice.Engine.Serving;

/// <summary>
/// A loaded checkpoint served by the continuous batcher. Each <see cref="Step"/> gathers one row per decoding
/// sequence plus a chunk of prompt rows per prefilling sequence, runs one batched forward pass, samples each
/// sequence with its own sampler and returns text deltas. Sequences reserve KV cache blocks when admitted.
/// </summary>
internal sealed class EngineGenerativeModel : IGenerativeModel
{
    /// <summary>Most rows (prompt chunks included) in one forward pass, bounding activation memory and step time.</summary>
    private const int MaxRowsPerStep = 512;

    private readonly LoadedModel _model;
    private readonly Transformer _transformer;
    private readonly KvCachePool _pool;
    private readonly BatchState _state;
    private readonly EngineOptions _options;
    private readonly Lock _stepLock = new();
    private readonly SamplingJob _sampling = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<EngineSequence> _pendingRelease = new();
    private int _active;

    public EngineGenerativeModel(LoadedModel model, string name, EngineOptions options, string version)
    {
        _model = model;
        _options = options;
        _transformer = new Transformer(model.Config, model.Weights);
        _pool = new KvCachePool(model.Config, Math.Max(1, options.KvBlockSize), (long)Math.Max(1, options.KvCacheBudgetMb) << 20);
        _state = new BatchState(model.Config, options.ResolveThreads(), Math.Max(1, options.MaxSequences));
        MaxSequences = Math.Max(1, options.MaxSequences);
        var c = model.Config;
        Descriptor = new ModelDescriptor
        {
            Name = name,
            Version = version,
            Kind = ModelKind.Generative,
            // A sequence's tokens do not depend on the batch it runs in (bit-exact kernels), so greedy and seeded
            // requests are reproducible and the core may serve them from the result cache; it never caches
            // unseeded sampling (GenerationRequest.IsDeterministic).
            Deterministic = true,
            Description = $"llama-family transformer ({c.ParameterCount / 1e6:F1}M parameters, {model.Format}) on the pure C# engine",
            Metadata = new Dictionary<string, string>
            {
                ["path"] = model.Path,
                ["format"] = model.Format,
                ["parameters"] = c.ParameterCount.ToString(CultureInfo.InvariantCulture),
                ["context_length"] = c.SeqLen.ToString(CultureInfo.InvariantCulture),
                ["vocab_size"] = c.VocabSize.ToString(CultureInfo.InvariantCulture),
                ["dim"] = c.Dim.ToString(CultureInfo.InvariantCulture),
                ["layers"] = c.Layers.ToString(CultureInfo.InvariantCulture),
                ["heads"] = c.Heads.ToString(CultureInfo.InvariantCulture),
                ["kv_heads"] = c.KvHeads.ToString(CultureInfo.InvariantCulture),
                ["kv_cache_budget_mb"] = options.KvCacheBudgetMb.ToString(CultureInfo.InvariantCulture),
                ["kv_block_size"] = _pool.BlockSize.ToString(CultureInfo.InvariantCulture),
            },
        };
    }

    public ModelDescriptor Descriptor { get; }

    public int MaxSequences { get; }

    internal LoadedModel Model => _model;

    internal KvCachePool Pool => _pool;

    /// <summary>Sequences admitted and not yet disposed.</summary>
    internal int ActiveSequences => Volatile.Read(ref _active);

    public bool TryParseInput(JsonElement input, [NotNullWhen(true)] out GenerationRequest? request, out InputError error) =>
        GenerationInputParser.TryParse(input, out request, out error);

    public bool TryValidate(GenerationRequest request, out InputError error) =>
        TryValidate(request, _model.Tokenizer.Encode(request.Prompt, bos: true, eos: false).Count, out error);

    public bool TryStartSequence(GenerationRequest request, [NotNullWhen(true)] out IGenerationSequence? sequence)
    {
        sequence = null;
        var prompt = _model.Tokenizer.Encode(request.Prompt, bos: true, eos: false).ToArray();
        if (!TryValidate(request, prompt.Length, out var error))
        {
            // The batcher validates before accepting a job, so this is a caller bug, not a full cache.
            throw new ArgumentException($"{error.Field}: {error.Message}", nameof(request));
        }

        if (Interlocked.Increment(ref _active) > MaxSequences)
        {
            Interlocked.Decrement(ref _active);
            return false;
        }

        // Blocks of sequences that left while a step ran are freed here too: with no step after it, nothing else would.
        TryDrainPendingReleases();
        var cache = KvSequence.TryCreate(_pool, Positions(prompt.Length, request.MaxTokens));
        if (cache is null)
        {
            Interlocked.Decrement(ref _active);
            return false; // the batcher retries once a sequence leaves and its blocks return
        }

        var seed = request.Seed ?? (ulong)Random.Shared.NextInt64();
        var sampler = new Sampler(request.Temperature, request.TopP, request.TopK, seed);
        var decoder = new TextDeltaDecoder(_model.Tokenizer, request.Stop, prompt[^1]);
        sequence = new EngineSequence(this, request, prompt, cache, sampler, decoder);
        return true;
    }

    public void Step(ReadOnlySpan<IGenerationSequence> batch, Span<StepOutput> outputs)
    {
        if (outputs.Length < batch.Length)
        {
            throw new ArgumentException($"outputs has {outputs.Length} slots for {batch.Length} sequences", nameof(outputs));
        }

        lock (_stepLock)
        {
            try
            {
                StepLocked(batch, outputs);
            }
            finally
            {
                DrainPendingReleases();
            }
        }

        // A sequence that left after the drain above, while the lock was still held, is freed now (see OnSequenceDisposed).
        TryDrainPendingReleases();
    }

    private void StepLocked(ReadOnlySpan<IGenerationSequence> batch, Span<StepOutput> outputs)
    {
        var s = _state;
        var chunk = Math.Max(1, _options.PrefillChunk);

        // Count rows first so the state is sized once: one per decoding sequence, a chunk per prefilling one.
        var rows = 0;
        var logitRows = 0;
        for (var i = 0; i < batch.Length; i++)
        {
            var seq = (EngineSequence)batch[i];
            if (seq.IsDisposed || seq.Finish != FinishReason.None)
            {
                continue;
            }

            rows += seq.Fed < seq.Prompt.Length ? Math.Min(chunk, seq.Prompt.Length - seq.Fed) : 1;
            logitRows++;
        }

        s.EnsureCapacity(Math.Min(rows, MaxRowsPerStep + batch.Length), logitRows);
        rows = 0;
        logitRows = 0;
        for (var i = 0; i < batch.Length; i++)
        {
            var seq = (EngineSequence)batch[i];
            outputs[i] = new StepOutput { Delta = "", GeneratedTokens = 0, Finish = FinishReason.None };
            if (seq.IsDisposed)
            {
                outputs[i].Finish = FinishReason.Cancelled;
                continue;
            }

            if (seq.Finish != FinishReason.None)
            {
                outputs[i].Finish = seq.Finish;
                continue;
            }

            if (seq.Fed < seq.Prompt.Length)
            {
                // Chunked prefill; the step budget bounds rows, but a decoding row is never starved by it.
                var n = Math.Min(chunk, seq.Prompt.Length - seq.Fed);
                n = Math.Min(n, Math.Max(0, MaxRowsPerStep - rows));
                for (var j = 0; j < n; j++)
                {
                    var pos = seq.Fed + j;
                    s.Tokens[rows] = seq.Prompt[pos];
                    s.Positions[rows] = pos;
                    s.Caches[rows] = seq.Cache;
                    s.LogitIndex[rows] = pos == seq.Prompt.Length - 1 ? logitRows++ : -1;
                    rows++;
                }
            }
            else
            {
                s.Tokens[rows] = seq.NextToken;
                s.Positions[rows] = seq.Fed;
                s.Caches[rows] = seq.Cache;
                s.LogitIndex[rows] = logitRows++;
                rows++;
            }
        }

        if (rows > 0)
        {
            _transformer.Forward(s, rows);
        }

        // Walk the rows again in the same order to advance each sequence and queue the ones with logits.
        var sampling = _sampling;
        sampling.Clear();
        var row = 0;
        for (var i = 0; i < batch.Length; i++)
        {
            var seq = (EngineSequence)batch[i];
            if (outputs[i].Finish != FinishReason.None)
            {
                continue;
            }

            var logitIndex = -1;
            while (row < rows && ReferenceEquals(s.Caches[row], seq.Cache))
            {
                logitIndex = s.LogitIndex[row] >= 0 ? s.LogitIndex[row] : logitIndex;
                seq.Fed++;
                row++;
            }

            if (logitIndex >= 0)
            {
                sampling.Add(seq, logitIndex, i); // otherwise still reading the prompt
            }
        }

        sampling.Run(s);
        for (var k = 0; k < sampling.Count; k++)
        {
            var i = sampling.Slot(k);
            var seq = (EngineSequence)batch[i];
            var token = sampling.Token(k);
            seq.GeneratedTokens++;
            seq.Tokens.Add(token);
            outputs[i].GeneratedTokens = 1;
            FinishReason finish;
            string delta;
            if (token is Tokenizer.Eos or Tokenizer.Bos)
            {
                finish = FinishReason.Stop;
                delta = seq.Decoder.Flush();
            }
            else
            {
                delta = seq.Decoder.Push(token);
                finish = seq.Decoder.Stopped ? FinishReason.Stop
                    : seq.GeneratedTokens >= seq.Request.MaxTokens || seq.Fed >= _model.Config.SeqLen ? FinishReason.Length
                    : FinishReason.None;
                if (finish == FinishReason.Length)
                {
                    delta += seq.Decoder.Flush();
                }
            }

            seq.NextToken = token;
            seq.Finish = finish;
            outputs[i].Delta = delta;
            outputs[i].Finish = finish;
        }
    }

    private bool TryValidate(GenerationRequest request, int promptTokens, out InputError error)
    {
        var c = _model.Config;
        if (promptTokens > c.SeqLen)
        {
            error = new InputError("input.prompt", $"the prompt is {promptTokens} tokens (with BOS) but the context of {Descriptor.Name} is {c.SeqLen} tokens; shorten it");
            return false;
        }

        if (request.MaxTokens < 1)
        {
            error = new InputError("input.max_tokens", "expected an integer of at least 1");
            return false;
        }

        var blocks = _pool.BlocksFor(Positions(promptTokens, request.MaxTokens));
        if (blocks > _pool.TotalBlocks)
        {
            error = new InputError("input.max_tokens", $"the sequence needs {blocks} KV cache blocks but the whole budget ({_options.KvCacheBudgetMb} MB) holds {_pool.TotalBlocks}; lower max_tokens");
            return false;
        }

        error = default;
        return true;
    }

    public ValueTask WarmUpAsync(CancellationToken cancellationToken)
    {
        // Generate short greedy and sampled sequences a few at a time until the step path has run for the
        // warm-up time (and at least a few steps): this compiles every kernel, lets tiered compilation promote
        // the per-step code, and touches every weight page before the first request.
        var until = Stopwatch.GetTimestamp() + (long)(Math.Max(0, _options.WarmUpMilliseconds) / 1000.0 * Stopwatch.Frequency);
        var batch = new IGenerationSequence[Math.Min(4, MaxSequences)];
        var outputs = new StepOutput[batch.Length];
        var steps = 0;
        do
        {
            var count = 0;
            for (var i = 0; i < batch.Length; i++)
            {
                var request = new GenerationRequest { Prompt = "Once upon a time", MaxTokens = 16, Temperature = i % 2 == 0 ? 0f : 0.8f, Seed = (ulong)i + 1 };
                if (TryValidate(request, out _) && TryStartSequence(request, out var sequence))
                {
                    batch[count++] = sequence;
                }
            }

            if (count == 0)
            {
                break;
            }

            try
            {
                for (var live = count; live > 0; steps++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Step(batch.AsSpan(0, count), outputs);
                    live = 0;
                    for (var i = 0; i < count; i++)
                    {
                        live += outputs[i].Finish == FinishReason.None ? 1 : 0;
                    }
                }
            }
            finally
            {
                for (var i = 0; i < count; i++)
                {
                    batch[i].Dispose();
                }
            }
        }
        while (steps < 8 || Stopwatch.GetTimestamp() < until);

        return ValueTask.CompletedTask;
    }

    public void Dispose() => _model.Dispose();

    internal void OnSequenceDisposed(EngineSequence sequence)
    {
        _pendingRelease.Enqueue(sequence);
        TryDrainPendingReleases();
        Interlocked.Decrement(ref _active);
    }

    /// <summary>
    /// Frees the KV blocks of the sequences that left, unless a step holds the lock: that step frees them once it is
    /// done. Queued before the lock is tried, and tried again by a step after its lock is released, so a sequence that
    /// leaves as a step ends is freed by one of the two rather than held until some later step (with none coming, its
    /// blocks were lost to admission).
    /// </summary>
    private void TryDrainPendingReleases()
    {
        while (!_pendingRelease.IsEmpty && _stepLock.TryEnter())
        {
            try
            {
                DrainPendingReleases();
            }
            finally
            {
                _stepLock.Exit();
            }
        }
    }

    private void DrainPendingReleases()
    {
        while (_pendingRelease.TryDequeue(out var sequence))
        {
            sequence.Cache.Dispose();
        }
    }

    private int Positions(int promptTokens, int maxTokens) =>
        (int)Math.Min(_model.Config.SeqLen, (long)promptTokens + Math.Max(1, maxTokens));
}
