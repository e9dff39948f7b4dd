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

    /// <summary>
    /// What the upstream last reported of the weights behind the model's name (Ollama's digest), or null when it reports
    /// nothing (OpenAI-compatible servers): part of the result cache's key, so a re-pull is never answered from the
    /// results of the weights it replaced.
    /// </summary>
    string? Revision { get; }

    /// <summary>Asks the upstream whether it is up and serves the model; throws with the reason when not.</summary>
    Task ProbeAsync(CancellationToken cancellationToken);
}
