using System.Collections.Concurrent;

namespace Sluice.Blog.Drafting;

/// <summary>
/// Which signed-in user started which draft job, while its stream is relayed: the blog uses one Sluice key for
/// everyone, so this is what stops one user cancelling another's draft.
/// </summary>
internal sealed class DraftRegistry
{
    private readonly ConcurrentDictionary<string, long> _owners = new(StringComparer.Ordinal);

    public void Add(string jobId, long userId) => _owners[jobId] = userId;

    public void Remove(string jobId) => _owners.TryRemove(jobId, out _);

    public bool IsOwner(string jobId, long userId) => _owners.TryGetValue(jobId, out var owner) && owner == userId;

    public int Count => _owners.Count;
}
