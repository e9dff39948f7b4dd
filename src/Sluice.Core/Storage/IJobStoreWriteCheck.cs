namespace Sluice.Core.Storage;

/// <summary>
/// A store that can say whether it can write now, for readiness: a store that still answers reads may refuse every
/// write (a full disk, a file system remounted or a database made read-only, an I/O error, a lock held elsewhere), and then every submit
/// fails while a lookup says all is well.
/// </summary>
public interface IJobStoreWriteCheck
{
    /// <summary>
    /// Completes when the store can write; throws (<see cref="StoreUnavailableException"/> for a cause that passes) when
    /// it cannot. Cheap: it may answer from the writes that just went through, and otherwise writes next to nothing.
    /// </summary>
    ValueTask CheckWritableAsync(CancellationToken cancellationToken);
}
