using Sluice.Core.Models;

namespace Sluice.Core.Scheduling;

/// <summary>
/// The Retry-After of a full queue: the time for a tenth of the queue to drain (room appears as each batch ends), never
/// less than one batch, 1–60 s. One batch is what the model has measured as soon as it has: a full batch's fitted
/// duration (one-shot), or the mean run of its finished sequences (generative; before any has finished, its measured
/// step time × the refused request's <c>max_tokens</c>). Before any timing, the duration the model declares
/// (<see cref="SchedulerSettings.ExpectedBatchMs"/>), raised to how long the batch now running has already taken.
/// </summary>
internal static class DrainEstimate
{
    /// <summary>Fewest and most seconds a client is told to wait.</summary>
    public const int MinSeconds = 1;

    /// <inheritdoc cref="MinSeconds"/>
    public const int MaxSeconds = 60;

    /// <summary>Retry-After for a submit refused with <paramref name="depth"/> jobs queued on <paramref name="entry"/>.</summary>
    /// <param name="maxTokens">The refused request's <c>max_tokens</c> (generative models; 0 when unknown).</param>
    public static TimeSpan RetryAfter(ModelEntry entry, int depth, int maxTokens, TimeProvider time)
    {
        var slots = Math.Max(1, entry.Kind == ModelKind.Batch ? entry.Settings.MaxBatchSize : entry.Settings.MaxNumSeqs);
        var perBatch = BatchMs(entry, slots, maxTokens, time);
        var ms = Math.Max(perBatch, depth / (double)slots * perBatch / 10);
        return TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(ms / 1000), MinSeconds, MaxSeconds));
    }

    /// <summary>Milliseconds until a batch (one-shot) or a sequence (generative) frees its room, as best known now.</summary>
    internal static double BatchMs(ModelEntry entry, int slots, int maxTokens, TimeProvider time)
    {
        if (entry.Kind == ModelKind.Batch)
        {
            if (entry.Latency.Samples > 0)
            {
                return entry.Latency.PredictMs(slots);
            }
        }
        else
        {
            if (entry.RunLatency.Samples > 0)
            {
                return entry.RunLatency.PredictMs(1);
            }

            // Steps end long before the first sequence does: a full batch's step for each token asked for.
            if (entry.Latency.Samples > 0 && maxTokens > 0)
            {
                return entry.Latency.PredictMs(slots) * maxTokens;
            }
        }

        var since = Volatile.Read(ref entry.BusySince);
        var running = since == ModelEntry.Idle ? 0 : time.GetElapsedTime(since).TotalMilliseconds;
        return Math.Max(entry.Settings.ExpectedBatchMs, running);
    }
}
