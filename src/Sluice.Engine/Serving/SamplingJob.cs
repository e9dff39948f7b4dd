using Sluice.Engine.Inference;

namespace Sluice.Engine.Serving;

/// <summary>
/// Samples the next token of every sequence that got logits in a step, in parallel on the engine's worker team.
/// A temperature draw is a softmax over the whole vocabulary (32,000 exponentials at the 15M shape), so at batch
/// 32 sampling one after another on the batcher thread cost as much as the forward pass. Each sequence owns its
/// sampler and its logits row, so the draws are independent and the same as sequential sampling.
/// </summary>
internal sealed class SamplingJob
{
    private readonly Action<int> _body;
    private EngineSequence[] _sequences = [];
    private int[] _logitIndex = [];
    private int[] _slots = [];
    private int[] _tokens = [];
    private BatchState? _state;

    public SamplingJob() => _body = SampleOne;

    /// <summary>Sequences added since <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    public void Clear() => Count = 0;

    /// <summary>Queues <paramref name="sequence"/>, whose logits are row <paramref name="logitIndex"/>, from batch slot <paramref name="slot"/>.</summary>
    public void Add(EngineSequence sequence, int logitIndex, int slot)
    {
        if (Count == _sequences.Length)
        {
            var size = Math.Max(8, Count * 2);
            Array.Resize(ref _sequences, size);
            Array.Resize(ref _logitIndex, size);
            Array.Resize(ref _slots, size);
            Array.Resize(ref _tokens, size);
        }

        _sequences[Count] = sequence;
        _logitIndex[Count] = logitIndex;
        _slots[Count] = slot;
        Count++;
    }

    /// <summary>Batch slot of the k-th queued sequence.</summary>
    public int Slot(int k) => _slots[k];

    /// <summary>Token drawn for the k-th queued sequence by <see cref="Run"/>.</summary>
    public int Token(int k) => _tokens[k];

    public void Run(BatchState state)
    {
        _state = state;
        try
        {
            WorkerTeam.Shared.Run(Count, state.Threads, _body, state.Parallel);
        }
        finally
        {
            _state = null;
            Array.Clear(_sequences, 0, Count); // no references kept to finished sequences
        }
    }

    private void SampleOne(int k) => _tokens[k] = _sequences[k].Sampler.Sample(_state!.LogitsRow(_logitIndex[k]));
}
