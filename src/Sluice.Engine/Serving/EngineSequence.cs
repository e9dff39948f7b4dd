using Sluice.Core.Models;
using Sluice.Engine.Inference;
using Sluice.Engine.Sampling;

namespace Sluice.Engine.Serving;

/// <summary>
/// A sequence in flight: its prompt tokens, how many positions are in its KV cache, its own sampler (own RNG)
/// and its text decoder. Disposing returns its KV blocks to the pool at once.
/// </summary>
internal sealed class EngineSequence : IGenerationSequence
{
    private readonly EngineGenerativeModel _owner;
    private int _disposed;

    public EngineSequence(EngineGenerativeModel owner, GenerationRequest request, int[] prompt, KvSequence cache, Sampler sampler, TextDeltaDecoder decoder)
    {
        _owner = owner;
        Request = request;
        Prompt = prompt;
        Cache = cache;
        Sampler = sampler;
        Decoder = decoder;
    }

    public GenerationRequest Request { get; }

    /// <summary>Prompt length in tokens, BOS included (every one occupies a position).</summary>
    public int PromptTokens => Prompt.Length;

    public int GeneratedTokens { get; internal set; }

    /// <summary>(prompt_tokens) BOS then the encoded prompt.</summary>
    internal int[] Prompt { get; }

    internal KvSequence Cache { get; }

    internal Sampler Sampler { get; }

    internal TextDeltaDecoder Decoder { get; }

    /// <summary>Positions written to the KV cache so far (the next row's position).</summary>
    internal int Fed { get; set; }

    /// <summary>Last sampled token, fed at the next step.</summary>
    internal int NextToken { get; set; }

    /// <summary>Generated token ids, in order (for usage, logs and exactness tests).</summary>
    internal List<int> Tokens { get; } = [];

    /// <summary>Set once the sequence has reported a finish reason.</summary>
    internal FinishReason Finish { get; set; }

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // The owner returns the KV blocks now, or right after the step in flight if one is running
            // (a client's cancellation may arrive on another thread while the step still reads them).
            _owner.OnSequenceDisposed(this);
        }
    }
}
