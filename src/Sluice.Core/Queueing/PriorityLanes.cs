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
    private readonly Queue<QueuedJob>[] _lanes = [new(), new(), new()];
    private readonly double _agingMs;

    public PriorityLanes(TimeSpan aging) => _agingMs = Math.Max(1, aging.TotalMilliseconds);

    public int Count { get; private set; }

    public QueueDepth Depth => new(_lanes[0].Count, _lanes[1].Count, _lanes[2].Count);

    public void Enqueue(QueuedJob job)
    {
        _lanes[(int)job.Priority].Enqueue(job);
        Count++;
    }

    public bool TryDequeue(DateTimeOffset now, [NotNullWhen(true)] out QueuedJob? job)
    {
        var best = -1;
        var bestRank = double.MaxValue;
        for (var lane = 0; lane < _lanes.Length; lane++)
        {
            if (_lanes[lane].TryPeek(out var head))
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
        Count--;
        return true;
    }

    /// <summary>
    /// Removes the entries of job <paramref name="id"/> with at least <paramref name="fromAttempts"/> attempts (the
    /// copy a cancel or deadline settled, or its retry's), keeping every lane's order. O(depth): for a cancel, not
    /// the dequeue path. A requeued dead letter's copy starts again at 0 attempts, so a later run is not taken for
    /// an earlier one's.
    /// </summary>
    public bool TryRemove(string id, int fromAttempts)
    {
        var removed = false;
        foreach (var lane in _lanes)
        {
            for (var n = lane.Count; n > 0; n--)
            {
                var job = lane.Dequeue();
                if (job.Attempts >= fromAttempts && string.Equals(job.Id, id, StringComparison.Ordinal))
                {
                    Count--;
                    removed = true;
                }
                else
                {
                    lane.Enqueue(job);
                }
            }
        }

        return removed;
    }

    public bool TryPeekOldest(out DateTimeOffset enqueuedAt)
    {
        enqueuedAt = DateTimeOffset.MaxValue;
        var found = false;
        foreach (var lane in _lanes)
        {
            if (lane.TryPeek(out var head) && head.EnqueuedAt < enqueuedAt)
            {
                enqueuedAt = head.EnqueuedAt;
                found = true;
            }
        }

        return found;
    }
}
