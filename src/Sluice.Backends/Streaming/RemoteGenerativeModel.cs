using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Backends.Health;
using Sluice.Backends.Resilience;
using Sluice.Core.Models;

namespace Sluice.Backends.Streaming;

/// <summary>
/// A generative model served by a remote upstream (OpenAI-compatible or Ollama), scheduled by the continuous
/// batcher like a local one.
/// <para>
/// Design: <see cref="IGenerativeModel.Step"/> is synchronous and runs on the batcher's loop, so it must never wait
/// on the network. Each sequence therefore streams from the upstream on its own background task
/// (<see cref="RemoteSequence"/>), appending chunks as they arrive and setting a model-wide signal. Before each step
/// the batcher awaits <see cref="WaitForOutputAsync"/>, which returns at once when a chunk came since the last step
/// and otherwise waits for one without holding a thread, at most <see cref="IdleWait"/> (so sequences waiting to join
/// are admitted promptly). <c>Step</c> then drains, without blocking, whatever each sequence has received (an empty
/// delta when nothing new came). A blocking wait here would pin a pool thread for as long as any remote sequence runs,
/// one per busy backend, and starve the request threads of a small machine. Cancelling a job disposes its sequence,
/// which aborts its upstream request at once and frees its slot; the slot count (<see cref="MaxSequences"/>) is the
/// backend's upstream concurrency.
/// </para>
/// </summary>
internal sealed class RemoteGenerativeModel : IGenerativeModel, IChatModel, IBackendModel
{
    /// <summary>Longest wait in a step that found nothing new (bounds added latency for sequences joining meanwhile).</summary>
    public static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(20);

    private readonly IStreamingProtocol _protocol;
    private readonly ModelDescriptor _descriptor;
    private volatile Revised? _revised;
    private readonly UpstreamClient _upstream;
    private readonly AsyncSignal _signal = new();
    private readonly Action _release;
    private int _active;

    public RemoteGenerativeModel(ModelDescriptor descriptor, UpstreamClient upstream, IStreamingProtocol protocol, int maxSequences)
    {
        _descriptor = descriptor;
        _upstream = upstream;
        _protocol = protocol;
        MaxSequences = maxSequences;
        _release = () => Interlocked.Decrement(ref _active);
    }

    /// <summary>
    /// The descriptor with the upstream's current weights revision (<see cref="IStreamingProtocol.Revision"/>) in its
    /// <see cref="ModelDescriptor.CacheVersion"/>, so the result cache keys a re-pulled model apart from the weights it
    /// replaced. Read per request; rebuilt only when the revision changes.
    /// </summary>
    public ModelDescriptor Descriptor
    {
        get
        {
            var revision = _protocol.Revision;
            if (revision is null)
            {
                return _descriptor;
            }

            var revised = _revised;
            if (revised is null || !string.Equals(revised.Revision, revision, StringComparison.Ordinal))
            {
                // Ollama's digests are 64 hex digits; 16 tell weights apart and keep the key short.
                var version = string.Concat(_descriptor.Version, "+", revision.AsSpan(0, Math.Min(16, revision.Length)));
                revised = new Revised(revision, _descriptor with { CacheVersion = version });
                _revised = revised;
            }

            return revised.Descriptor;
        }
    }

    public int MaxSequences { get; }

    public BackendHealth Health => _upstream.Health;

    public UpstreamClient Upstream => _upstream;

    public Task ProbeAsync(CancellationToken cancellationToken) => _protocol.ProbeAsync(cancellationToken);

    /// <summary>Sequences admitted and not yet disposed.</summary>
    internal int ActiveSequences => Volatile.Read(ref _active);

    public bool TryParseInput(JsonElement input, [NotNullWhen(true)] out GenerationRequest? request, out InputError error) =>
        GenerationInputReader.TryParse(input, out request, out error);

    public bool TryValidate(GenerationRequest request, out InputError error)
    {
        if (request.Prompt.Length == 0 && (request.Messages is null || request.Messages.Count == 0))
        {
            error = new InputError("input.prompt", "give a prompt or messages");
            return false;
        }

        if (request.MaxTokens < 1)
        {
            error = new InputError("input.max_tokens", "expected an integer of at least 1");
            return false;
        }

        error = default;
        return true;
    }

    public bool TryStartSequence(GenerationRequest request, [NotNullWhen(true)] out IGenerationSequence? sequence)
    {
        if (Interlocked.Increment(ref _active) > MaxSequences)
        {
            Interlocked.Decrement(ref _active);
            sequence = null;
            return false;
        }

        var remote = new RemoteSequence(request, EstimateTokens(request), _signal, _release);
        remote.Start(_protocol);
        sequence = remote;
        return true;
    }

    public ValueTask WaitForOutputAsync(CancellationToken cancellationToken) => _signal.WaitAsync(IdleWait, cancellationToken);

    // A chunk arriving during the drain sets the signal again, so the next wait returns at once and nothing is delayed.
    public void Step(ReadOnlySpan<IGenerationSequence> batch, Span<StepOutput> outputs) => DrainAll(batch, outputs);

    public async ValueTask WarmUpAsync(CancellationToken cancellationToken)
    {
        // An upstream that is down at start is not a failed model: health says so and probing continues.
        await BackendProbe.RunAsync(_upstream, _protocol.ProbeAsync, cancellationToken).ConfigureAwait(false);
    }

    // Nothing to release: sequences own their upstream requests and the signal holds no handle.
    public void Dispose()
    {
    }

    private static bool DrainAll(ReadOnlySpan<IGenerationSequence> batch, Span<StepOutput> outputs)
    {
        var any = false;
        for (var i = 0; i < batch.Length; i++)
        {
            if (batch[i] is RemoteSequence s)
            {
                any |= s.Drain(ref outputs[i]);
            }
        }

        return any;
    }

    /// <summary>Rough prompt size until the upstream reports usage (about four characters a token).</summary>
    private static int EstimateTokens(GenerationRequest request)
    {
        var chars = request.Prompt.Length;
        if (request.Messages is { } messages)
        {
            chars = 0;
            for (var i = 0; i < messages.Count; i++)
            {
                chars += messages[i].Content.Length + 4;
            }
        }

        return Math.Max(1, chars / 4);
    }

    /// <summary>The descriptor for one revision, swapped as one reference so readers never pair a revision with another's key.</summary>
    private sealed record Revised(string Revision, ModelDescriptor Descriptor);
}
