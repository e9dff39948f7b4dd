namespace Sluice.Core.Queueing;

/// <summary>
/// The queue transport (the broker) cannot take a job or a control message right now. The server answers 503 with
/// Retry-After for it in one place, like <see cref="Storage.StoreUnavailableException"/>.
/// </summary>
public sealed class QueueUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
