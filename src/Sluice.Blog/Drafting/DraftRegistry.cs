using System.Collections.Concurrent;

namespace Sluice.Blog.Drafting;

/// <summary>
/// Which signed-in user started which draft job, while its stream is relayed: the blog uses one Sluice key for
/// everyone, so this is what stops one user cancelling another's draft, and one user taking the whole key's share
/// of Sluice with many drafts at once (<see cref="MaxPerUser"/>).
/// </summary>
internal sealed class DraftRegistry
{
    /// <summary>Drafts one user may have running at once: one, and one more while a stopped one winds down.</summary>
    public const int MaxPerUser = 2;

    private readonly ConcurrentDictionary<string, long> _owners = new(StringComparer.Ordinal);
    private readonly Dictionary<long, int> _running = [];
    private readonly Lock _gate = new();

    /// <summary>Takes one of the user's draft places; false when all are taken. Give it back with <see cref="Release"/>.</summary>
    public bool TryReserve(long userId)
    {
        lock (_gate)
        {
            _running.TryGetValue(userId, out var count);
            if (count >= MaxPerUser)
            {
                return false;
            }

            _running[userId] = count + 1;
            return true;
        }
    }

    public void Release(long userId)
    {
        lock (_gate)
        {
            if (_running.TryGetValue(userId, out var count))
            {
                if (count <= 1)
                {
                    _running.Remove(userId);
                }
                else
                {
                    _running[userId] = count - 1;
                }
            }
        }
    }

    public void Add(string jobId, long userId) => _owners[jobId] = userId;

    public void Remove(string jobId) => _owners.TryRemove(jobId, out _);

    public bool IsOwner(string jobId, long userId) => _owners.TryGetValue(jobId, out var owner) && owner == userId;

    /// <summary>Drafts being relayed now.</summary>
    public int Count => _owners.Count;
}
