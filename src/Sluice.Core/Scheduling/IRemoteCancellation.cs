namespace Sluice.Core.Scheduling;

/// <summary>
/// Cancels a job that runs (or may run) in another process. A cross-process event hub implements it; the job
/// service uses it when the job is not live in this process.
/// </summary>
public interface IRemoteCancellation
{
    /// <summary>Records the cancellation if the job is still queued, else asks the worker running it to stop it.</summary>
    ValueTask CancelRemoteAsync(string jobId, CancellationToken cancellationToken);
}
