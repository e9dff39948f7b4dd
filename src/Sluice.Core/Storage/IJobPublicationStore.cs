using Sluice.Core.Jobs;

namespace Sluice.Core.Storage;

/// <summary>
/// A shared store that records which accepted jobs a broker has confirmed, so that a job journaled by a gateway
/// that died before the confirm (queued in the store, never published) is found and published again, by one
/// gateway only.
/// </summary>
public interface IJobPublicationStore
{
    /// <summary>The broker confirmed these jobs: they are no longer candidates for republishing.</summary>
    ValueTask MarkPublishedAsync(IReadOnlyList<string> jobIds, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="limit"/> jobs still queued, never confirmed and created before
    /// <paramref name="createdBefore"/> (or claimed before it by a gateway that never confirmed them): a claimed
    /// job is not handed to another caller until <paramref name="createdBefore"/> passes its claim time.
    /// </summary>
    ValueTask<IReadOnlyList<JobRecord>> ClaimUnpublishedAsync(DateTimeOffset createdBefore, DateTimeOffset now, int limit, CancellationToken cancellationToken);
}
