using System.Diagnostics.CodeAnalysis;

namespace Sluice.Core.Queueing;

/// <summary>One model's in-process queue: priority lanes under a lock plus a signal for the batcher.</summary>
internal sealed class ModelQueue : IJobQueueReader
{
    private readonly PriorityLanes _lanes;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Lock _lock = new();

    public ModelQueue(TimeProvider time, TimeSpan aging, int maxDepth)
    {
        _time = time;
        _lanes = new PriorityLanes(aging);
        MaxDepth = maxDepth;
    }

    public int MaxDepth { get; set; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _lanes.Count;
            }
        }
    }

    public QueueDepth Depth
    {
        get
        {
            lock (_lock)
            {
                return _lanes.Depth;
            }
        }
    }

    public bool TryAdd(QueuedJob job, bool bounded)
    {
        lock (_lock)
        {
            if (bounded && _lanes.Count >= MaxDepth)
            {
                return false;
            }

            _lanes.Enqueue(job);
        }

        _signal.Release();
        return true;
    }

    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        // The semaphore counts enqueues; TryRead does not consume it, so drain it here and re-check the lanes.
        while (true)
        {
            if (Count > 0)
            {
                return true;
            }

            await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);
            while (_signal.CurrentCount > 0 && _signal.Wait(0))
            {
            }
        }
    }

    public bool TryRead([NotNullWhen(true)] out QueuedJob? job)
    {
        lock (_lock)
        {
            return _lanes.TryDequeue(_time.GetUtcNow(), out job);
        }
    }

    /// <summary>Removes the waiting entries of a settled job (see <see cref="PriorityLanes.TryRemove"/>).</summary>
    public bool TryRemove(string id, int fromAttempts)
    {
        lock (_lock)
        {
            return _lanes.TryRemove(id, fromAttempts);
        }
    }

    public bool TryPeekOldest(out DateTimeOffset enqueuedAt)
    {
        lock (_lock)
        {
            return _lanes.TryPeekOldest(out enqueuedAt);
        }
    }

    public ValueTask AcknowledgeAsync(QueuedJob job, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask RetryLaterAsync(QueuedJob job, TimeSpan delay, CancellationToken cancellationToken)
    {
        var retry = job.With(job.Attempts + 1, _time.GetUtcNow() + delay);
        if (delay <= TimeSpan.Zero)
        {
            TryAdd(retry, bounded: false);
        }
        else
        {
            ITimer? timer = null;
            timer = _time.CreateTimer(
                _ =>
                {
                    TryAdd(retry, bounded: false);
                    timer?.Dispose();
                },
                null,
                delay,
                Timeout.InfiniteTimeSpan);
        }

        return ValueTask.CompletedTask;
    }
}
