using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Sluice.Core.Queueing;

/// <summary>
/// The embedded queue: per-model priority lanes in memory, bounded by the model's <c>max_queue_depth</c>.
/// Durability comes from the job store (every job is journaled before it is enqueued and recovered from the
/// store at start), so acknowledgement is a no-op here and retries are timers.
/// </summary>
internal sealed class InProcessJobQueue : IJobQueue
{
    private readonly ConcurrentDictionary<string, ModelQueue> _queues = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TimeSpan _aging;

    public InProcessJobQueue(TimeProvider time, IOptions<InProcessQueueOptions> options)
    {
        _time = time;
        _aging = options.Value.Aging;
    }

    public ValueTask DeclareAsync(string model, int maxDepth, CancellationToken cancellationToken)
    {
        var queue = _queues.GetOrAdd(model, static (_, s) => new ModelQueue(s.Item1, s.Item2, s.Item3), (_time, _aging, maxDepth));
        queue.MaxDepth = maxDepth;
        return ValueTask.CompletedTask;
    }

    public ValueTask<EnqueueResult> EnqueueAsync(QueuedJob job, CancellationToken cancellationToken)
    {
        if (!_queues.TryGetValue(job.Model, out var queue))
        {
            return ValueTask.FromResult(EnqueueResult.Unavailable);
        }

        return ValueTask.FromResult(queue.TryAdd(job, bounded: true) ? EnqueueResult.Accepted : EnqueueResult.Full);
    }

    /// <summary>Adds a recovered or retried job regardless of the depth bound (it was accepted before).</summary>
    public void Restore(QueuedJob job)
    {
        if (_queues.TryGetValue(job.Model, out var queue))
        {
            queue.TryAdd(job, bounded: false);
        }
    }

    /// <summary>
    /// Takes a job settled while it waited (cancelled, expired) out of its model's queue, so that it stops counting
    /// against <c>max_queue_depth</c>, the depth gauge and the drain estimate at once rather than when a batcher
    /// reaches it. Only entries of <paramref name="job"/>'s copy or a later one (its retry) go; none found (a batcher
    /// took it meanwhile, or its retry still waits out its backoff in a timer) is fine: once a batcher takes it, the
    /// start finds the store no longer has it queued and drops it.
    /// </summary>
    public bool TryRemove(QueuedJob job) => _queues.TryGetValue(job.Model, out var queue) && queue.TryRemove(job.Id, job.Attempts);

    public IJobQueueReader GetReader(string model) =>
        _queues.TryGetValue(model, out var queue) ? queue : throw new InvalidOperationException($"Queue for model '{model}' is not declared.");

    public QueueDepth GetDepth(string model) => _queues.TryGetValue(model, out var queue) ? queue.Depth : default;
}
