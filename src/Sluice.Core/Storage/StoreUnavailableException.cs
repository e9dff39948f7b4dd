namespace Sluice.Core.Storage;

/// <summary>
/// The job store cannot be reached (connection refused or lost, server restarting), as opposed to a bug or a bad
/// request. Stores throw it after their own retries; the server answers 503 with Retry-After for it in one place.
/// </summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
