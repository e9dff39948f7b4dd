namespace Sluice.Core.Metrics;

/// <summary>
/// A generative sequence's token timing, as the continuous batcher and direct inference both time it (vLLM's way): the
/// first step that gives it tokens is its time to first token, which the caller records from its own origin (a job's
/// enqueue time, a direct request's acceptance); every later one is one inter-token gap, the time since the previous
/// such step (several tokens in one step, a remote stream's burst, are one gap). A mutable struct kept in a field or a
/// local and never copied, so timing a token allocates nothing.
/// </summary>
internal struct TokenTimer
{
    /// <summary>True once a step gave the sequence tokens.</summary>
    public bool HasTokens { readonly get; private set; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> at the end of the last step that gave the sequence tokens.</summary>
    public long LastTokenTimestamp { readonly get; private set; }

    /// <summary>
    /// Times a step that gave the sequence tokens, ending at <paramref name="end"/> (a timestamp of <paramref name="time"/>).
    /// Returns true when it is the first: the caller records its time to first token. Otherwise the gap since the
    /// previous such step is recorded in <see cref="SluiceMetrics.TimePerOutputToken"/> (with no exemplar of its own:
    /// per token, making a span current would allocate an execution context).
    /// </summary>
    public bool Record(long end, SluiceMetrics metrics, TimeProvider time, KeyValuePair<string, object?> modelTag)
    {
        var first = !HasTokens;
        if (!first)
        {
            metrics.TimePerOutputToken.Record(time.GetElapsedTime(LastTokenTimestamp, end).TotalSeconds, modelTag);
        }

        HasTokens = true;
        LastTokenTimestamp = end;
        return first;
    }
}
