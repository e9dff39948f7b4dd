using System.Diagnostics;
using System.Text;
using Sluice.Engine.Inference;
using Sluice.Engine.Loading;
using Sluice.Engine.Sampling;
using Sluice.Engine.Tokenization;

namespace Sluice.Engine.Cli;

/// <summary>
/// What <c>./sluice generate</c> does, written to text writers so tests can compare it with llama2.c's golden
/// output: llama2.c's <c>generate</c> loop (prompt tokens forced, then sampled ones, stop at BOS, <c>steps</c>
/// positions in all) printing through <c>safe_printf</c>'s rules.
/// </summary>
internal sealed class GenerateRunner
{
    private readonly LoadedModel _model;
    private readonly Transformer _transformer;
    private readonly int _threads;

    public GenerateRunner(LoadedModel model, int threads)
    {
        _model = model;
        _transformer = new Transformer(model.Config, model.Weights);
        _threads = threads;
    }

    /// <summary>
    /// Generates and prints. stdout gets the decoded prompt and continuation and a final newline; stderr gets
    /// the token ids after BOS (space-separated, one line) when <paramref name="printTokens"/>, else the speed.
    /// Returns the token ids after BOS.
    /// </summary>
    public List<int> Run(string prompt, float temperature, float topP, int steps, ulong seed, bool printTokens, TextWriter stdout, TextWriter stderr)
    {
        var config = _model.Config;
        var tokenizer = _model.Tokenizer;

        // llama2.c's run corrects these instead of refusing them: a negative temperature means greedy, a top-p
        // outside 0..1 the default 0.9, and no steps (or too many) the whole context.
        if (temperature < 0)
        {
            temperature = 0;
        }

        if (topP is < 0 or > 1)
        {
            topP = 0.9f;
        }

        if (steps <= 0 || steps > config.SeqLen)
        {
            steps = config.SeqLen; // override to ~max length, as llama2.c
        }

        var promptTokens = tokenizer.Encode(prompt, bos: true, eos: false);
        if (promptTokens.Count > steps)
        {
            throw new ArgumentException($"the prompt is {promptTokens.Count} tokens (with BOS) but only {steps} positions are available (context {config.SeqLen})", nameof(prompt));
        }

        var pool = new KvCachePool(config, 16, config.KvBytesPerToken * (config.SeqLen + 16));
        using var cache = KvSequence.TryCreate(pool, config.SeqLen)!;
        var state = new BatchState(config, _threads, Math.Max(1, promptTokens.Count - 1));
        var sampler = new Sampler(temperature, topP, 0, seed);
        var output = new Utf8Printer(stdout);
        var emitted = new List<int>(steps);

        // Prefill: every prompt position but the last in one batched pass (their logits are never used).
        var prefill = promptTokens.Count - 1;
        for (var i = 0; i < prefill; i++)
        {
            state.Tokens[i] = promptTokens[i];
            state.Positions[i] = i;
            state.Caches[i] = cache;
            state.LogitIndex[i] = -1;
        }

        var stopwatch = Stopwatch.StartNew();
        if (prefill > 0)
        {
            _transformer.Forward(state, prefill);
            for (var pos = 0; pos < prefill; pos++)
            {
                var next = promptTokens[pos + 1];
                output.Print(tokenizer.Decode(promptTokens[pos], next));
                emitted.Add(next);
            }
        }

        var token = promptTokens[prefill];
        for (var pos = prefill; pos < steps; pos++)
        {
            state.Tokens[0] = token;
            state.Positions[0] = pos;
            state.Caches[0] = cache;
            state.LogitIndex[0] = 0;
            _transformer.Forward(state, 1);
            var next = sampler.Sample(state.LogitsRow(0));

            // Data-dependent terminating condition: the BOS (=1) token delimits sequences.
            if (next == Tokenizer.Bos)
            {
                break;
            }

            output.Print(tokenizer.Decode(token, next));
            emitted.Add(next);
            token = next;
        }

        output.Flush();
        stdout.Write('\n');
        stdout.Flush();
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        if (printTokens)
        {
            stderr.WriteLine(string.Join(' ', emitted));
        }
        else if (emitted.Count > 1)
        {
            stderr.WriteLine($"achieved tok/s: {emitted.Count / elapsed:F6}");
        }

        stderr.Flush();
        return emitted;
    }

    /// <summary>llama2.c's <c>safe_printf</c> over a UTF-8 decoder that holds incomplete characters.</summary>
    private sealed class Utf8Printer(TextWriter writer)
    {
        private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
        private readonly char[] _chars = new char[4096];

        public void Print(ReadOnlySpan<byte> piece)
        {
            if (piece.IsEmpty)
            {
                return;
            }

            // A lone byte is printed only when printable or whitespace, as llama2.c.
            if (piece.Length == 1 && !(piece[0] is >= 0x20 and <= 0x7E || piece[0] is >= 0x09 and <= 0x0D))
            {
                return;
            }

            var n = _decoder.GetChars(piece, _chars, flush: false);
            writer.Write(_chars, 0, n);
        }

        public void Flush()
        {
            var n = _decoder.GetChars(ReadOnlySpan<byte>.Empty, _chars, flush: true);
            writer.Write(_chars, 0, n);
        }
    }
}
