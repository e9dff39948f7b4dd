using Sluice.Core.Models;

namespace Sluice.Backends.Streaming;

/// <summary>How one upstream protocol (OpenAI SSE, Ollama NDJSON) streams a generation and answers a health probe.</summary>
internal interface IStreamingProtocol
{
    /// <summary>
    /// Streams <paramref name="request"/> into <paramref name="sink"/> (<see cref="RemoteSequence.Push"/> per chunk,
    /// <see cref="RemoteSequence.Complete"/> at the end). Throws <c>UpstreamException</c> for upstream failures.
    /// Runs on the sequence's own background task, never on the batcher's thread.
    /// </summary>
    Task StreamAsync(GenerationRequest request, RemoteSequence sink, CancellationToken cancellationToken);

    /// <summary>Asks the upstream whether it is up and serves the model; throws with the reason when not.</summary>
    Task ProbeAsync(CancellationToken cancellationToken);
}
