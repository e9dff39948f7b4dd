namespace Sluice.Core.Storage;

/// <summary>
/// The job store cannot be reached (connection refused or lost, server restarting), as opposed to a bug or a bad
/// request. Stores throw it after their own retries; the server answers 503 with Retry-After for it in one place.
/// <see cref="OutcomeUnknown"/>: a write's commit was sent and never answered (the connection broke or the server
/// froze under it), so the write may have landed all the same.
/// </summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null, bool outcomeUnknown = false) : Exception(message, inner)
{
    /// <summary>A commit of the failed write was sent unanswered: it may be stored (the job created) for all the caller knows.</summary>
    public bool OutcomeUnknown { get; } = outcomeUnknown;
}
