using System.Text.Json;

namespace Sluice.Core.Models;

/// <summary>
/// One batch handed to an <see cref="IBatchModel"/> by the dynamic batcher. Every item gets exactly one
/// of <see cref="SetResult"/> or <c>SetError</c>; an item left unset counts as a failure.
/// </summary>
public interface IInferenceBatch
{
    /// <summary>Number of items (jobs) in the batch.</summary>
    int Count { get; }

    /// <summary>The object <see cref="IBatchModel.TryParseInput"/> produced for item <paramref name="index"/>.</summary>
    object GetInput(int index);

    /// <summary>Cancellation of one item (client cancelled, deadline passed); models may skip such items.</summary>
    CancellationToken GetCancellation(int index);

    /// <summary>Stores the JSON result of item <paramref name="index"/>.</summary>
    void SetResult(int index, JsonElement result);

    /// <summary>Fails item <paramref name="index"/>; <paramref name="retryable"/> false sends it straight to dead letters.</summary>
    void SetError(int index, string message, bool retryable = true);

    /// <summary>
    /// Fails item <paramref name="index"/> as <see cref="SetError(int, string, bool)"/> does, and holds its retry back at
    /// least <paramref name="retryAfter"/> (an upstream's <c>Retry-After</c>, an open circuit's next trial), within the
    /// job's deadline.
    /// </summary>
    void SetError(int index, string message, bool retryable, TimeSpan? retryAfter) => SetError(index, message, retryable);

    /// <summary>
    /// Fails item <paramref name="index"/> as <see cref="SetError(int, string, bool, TimeSpan?)"/> does, saying why with
    /// <paramref name="code"/> (one of <see cref="Jobs.JobErrorCodes"/>; null: <c>model_error</c>).
    /// </summary>
    void SetError(int index, string message, bool retryable, TimeSpan? retryAfter, string? code) => SetError(index, message, retryable, retryAfter);

    /// <summary>Emits a <c>progress</c> event for item <paramref name="index"/> (stage name, 0..1, optional data).</summary>
    void ReportProgress(int index, string stage, double fraction, JsonElement? data = null);
}
