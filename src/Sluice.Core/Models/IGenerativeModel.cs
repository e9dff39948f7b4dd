using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Sluice.Core.Models;

/// <summary>
/// A model that advances a batch of sequences one step at a time; the continuous batcher lets sequences
/// join and leave between steps.
/// </summary>
public interface IGenerativeModel : IModel
{
    /// <summary>Largest batch the model can advance in one step (upper bound for <c>max_num_seqs</c>).</summary>
    int MaxSequences { get; }

    /// <summary>Maps a job's <c>input</c> to a <see cref="GenerationRequest"/>; never throws for bad input.</summary>
    bool TryParseInput(JsonElement input, [NotNullWhen(true)] out GenerationRequest? request, out InputError error);

    /// <summary>
    /// Validates a request against the model (prompt fits the context …); returns false with the field at fault.
    /// Called before the job is accepted.
    /// </summary>
    bool TryValidate(GenerationRequest request, out InputError error);

    /// <summary>
    /// Admits a new sequence. Returns false when resources (KV cache budget) are exhausted right now;
    /// the batcher keeps the job waiting and tries again after a sequence leaves.
    /// </summary>
    bool TryStartSequence(GenerationRequest request, [NotNullWhen(true)] out IGenerationSequence? sequence);

    /// <summary>
    /// Advances every sequence of <paramref name="batch"/> by one step in one batched pass and writes one
    /// <see cref="StepOutput"/> per sequence (same order). Runs on the batcher's thread; may use all cores.
    /// </summary>
    void Step(ReadOnlySpan<IGenerationSequence> batch, Span<StepOutput> outputs);

    /// <summary>
    /// Awaited by the batcher before each <see cref="Step"/>. A model whose sequences advance elsewhere (a remote
    /// upstream streaming in the background) waits here, without holding a thread, until a step would have output or
    /// a short bound has passed; a local model computes on every step, so the default returns at once. Never throws.
    /// </summary>
    ValueTask WaitForOutputAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
