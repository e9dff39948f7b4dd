using System.Diagnostics.CodeAnalysis;
using Sluice.Core.Jobs;

namespace Sluice.Core.Queueing;

/// <summary>
/// Three FIFO lanes (high, normal, low) with aging: a job's effective rank is its lane times
/// <see cref="_agingMs"/> minus how long it has waited, so high goes first but a low job that has waited
/// two aging intervals beats a fresh high one and nothing starves. Not thread-safe; callers lock.
/// </summary>
internal sealed class PriorityLanes
{
    /// <summary>Below this many removed entries waiting to be skipped, the lanes are never compacted.</summary>
    private const int CompactFloor = 64;

    private readonly Queue<QueuedJob>[] _lanes = [new(), new(), new()];
    private readonly double _agingMs;

    /// <summary>Entries waiting in a lane, by job id (the latest when one id is queued twice): a removal finds its entry without a walk.</summary>
    private readonly Dictionary<string, QueuedJob> _waiting = new(StringComparer.Ordinal);

    /// <summary>
    /// Entries removed where they stand (a settled job's), skipped when they reach their lane's head: a removal costs
    /// O(1) rather than a walk of the lane under the queue's lock, which a wave of cancels made quadratic.
    /// </summary>
    private readonly HashSet<QueuedJob> _removed = new(ReferenceEqualityComparer.Instance);

    /// <summary>Entries of each lane that are not removed (high, normal, low).</summary>
    private readonly int[] _live = new int[3];

    public PriorityLanes(TimeSpan aging) => _agingMs = Math.Max(1, aging.TotalMilliseconds);

    /// <summary>Entries waiting, the removed ones not counted.</summary>
    public int Count { get; private set; }

    public QueueDepth Depth => new(_live[0], _live[1], _live[2]);

    /// <summary>Entries the lanes hold, removed ones not yet skipped included (what the queue costs in memory).</summary>
    internal int Held => _lanes[0].Count + _lanes[1].Count + _lanes[2].Count;

    public void Enqueue(QueuedJob job)
    {
        _lanes[(int)job.Priority].Enqueue(job);
        _live[(int)job.Priority]++;
        _waiting[job.Id] = job;
        Count++;
    }

    public bool TryDequeue(DateTimeOffset now, [NotNullWhen(true)] out QueuedJob? job)
    {
        var best = -1;
        var bestRank = double.MaxValue;
        for (var lane = 0; lane < _lanes.Length; lane++)
        {
            if (TryPeekHead(lane, out var head))
            {
                var rank = (lane * _agingMs) - (now - head.EnqueuedAt).TotalMilliseconds;
                if (rank < bestRank)
                {
                    bestRank = rank;
                    best = lane;
                }
            }
        }

        if (best < 0)
        {
            job = null;
            return false;
        }

        job = _lanes[best].Dequeue();
        _live[best]--;
        Count--;
        if (_waiting.TryGetValue(job.Id, out var waiting) && ReferenceEquals(waiting, job))
        {
            _waiting.Remove(job.Id);
        }

        return true;
    }

    /// <summary>
    /// Removes the waiting entry of job <paramref name="id"/> if it has at least <paramref name="fromAttempts"/> attempts
    /// (the copy a cancel or deadline settled, or its retry's); every lane keeps its order. A requeued dead letter's copy
    /// starts again at 0 attempts, so a later run is not taken for an earlier one's. O(1), plus a compaction of the lanes
    /// once the removed entries outnumber the waiting ones (amortized O(1) per removal, and the lanes never hold more
    /// than about twice their waiting entries).
    /// </summary>
    public bool TryRemove(string id, int fromAttempts)
    {
        if (!_waiting.TryGetValue(id, out var job) || job.Attempts < fromAttempts)
        {
            return false;
        }

        _waiting.Remove(id);
        _removed.Add(job);
        _live[(int)job.Priority]--;
        Count--;
        if (_removed.Count > CompactFloor && _removed.Count > Count)
        {
            Compact();
        }

        return true;
    }

    public bool TryPeekOldest(out DateTimeOffset enqueuedAt)
    {
        enqueuedAt = DateTimeOffset.MaxValue;
        var found = false;
        for (var lane = 0; lane < _lanes.Length; lane++)
        {
            if (TryPeekHead(lane, out var head) && head.EnqueuedAt < enqueuedAt)
            {
                enqueuedAt = head.EnqueuedAt;
                found = true;
            }
        }

        return found;
    }

    /// <summary>The first entry of a lane that is not removed, dropping the removed ones before it.</summary>
    private bool TryPeekHead(int lane, [NotNullWhen(true)] out QueuedJob? head)
    {
        var queue = _lanes[lane];
        while (queue.TryPeek(out head))
        {
            if (_removed.Count == 0 || !_removed.Remove(head))
            {
                return true;
            }

            queue.Dequeue();
        }

        return false;
    }

    /// <summary>Drops every removed entry from the lanes, keeping their order.</summary>
    private void Compact()
    {
        foreach (var queue in _lanes)
        {
            for (var n = queue.Count; n > 0; n--)
            {
                var job = queue.Dequeue();
                if (!_removed.Remove(job))
                {
                    queue.Enqueue(job);
                }
            }
        }
    }
}
