using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Sluice.Core.Jobs;

namespace Sluice.Core.Events;

/// <summary>
/// The in-process event hub. Live jobs keep their whole stream in memory; finished ones stay for
/// <see cref="Retention"/> so late subscribers replay from memory, after which the store serves replays.
/// </summary>
internal sealed class InMemoryJobEventHub : IJobEventHub, IDisposable
{
    private readonly ConcurrentDictionary<string, JobEventLog> _logs = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;
    private int _open;

    /// <summary>One delegate for every subscription (each knows its log): no closure per subscriber.</summary>
    private readonly Action<JobEventSubscription> _unsubscribe;

    public InMemoryJobEventHub(TimeProvider time)
    {
        _time = time;
        _unsubscribe = s =>
        {
            s.Log?.Remove(s);
            Interlocked.Decrement(ref _open);
        };
        _sweeper = time.CreateTimer(_ => Sweep(), null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
    }

    /// <summary>How long a finished job's events stay in memory.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromSeconds(60);

    public int OpenSubscriptions => Volatile.Read(ref _open);

    public JobEvent Append(string jobId, string type, string dataJson)
    {
        var now = _time.GetUtcNow();
        if (_logs.TryGetValue(jobId, out var log))
        {
            return log.Append(type, dataJson, now);
        }

        if (type != JobEventTypes.Queued)
        {
            // Only a job's first event, queued, starts its stream (a recovery or a requeue seeds it first). Anything
            // else is a step reporting after its job settled and its stream was swept: a stream made for it would never
            // end, and a later subscriber would wait on it instead of replaying the stored one. Not stored, never sent.
            return new JobEvent(jobId, 1, type, dataJson, now);
        }

        return _logs.GetOrAdd(jobId, static id => new JobEventLog(id)).Append(type, dataJson, now);
    }

    public bool TrySubscribe(string jobId, long afterId, [NotNullWhen(true)] out JobEventSubscription? subscription)
    {
        if (!_logs.TryGetValue(jobId, out var log))
        {
            subscription = null;
            return false;
        }

        Interlocked.Increment(ref _open);
        subscription = log.Subscribe(afterId, _unsubscribe);
        return true;
    }

    public void Seed(string jobId, long lastId)
    {
        _logs.TryGetValue(jobId, out var old);
        _logs[jobId] = new JobEventLog(jobId, lastId);
        // Whoever still follows the replaced stream is ended rather than left waiting on a log nothing appends to any more,
        // and told why: an event stream then follows the new run's stream live, a wait reads the outcome.
        old?.Supersede(_time.GetTimestamp());
    }

    /// <inheritdoc />
    public void Restart(string jobId, long lastId) => Seed(jobId, lastId);

    public long NextId(string jobId) => _logs.TryGetValue(jobId, out var log) ? log.NextId : 1;

    /// <inheritdoc />
    public JobEvent[] Snapshot(string jobId, int room) => _logs.TryGetValue(jobId, out var log) ? log.Snapshot(room) : new JobEvent[room];

    /// <inheritdoc />
    public bool TryEnd(string jobId, JobEvent terminal) =>
        _logs.TryGetValue(jobId, out var log) && log.TryEnd(terminal, _time.GetTimestamp());

    public void Complete(string jobId)
    {
        if (_logs.TryGetValue(jobId, out var log))
        {
            log.Complete(_time.GetTimestamp());
        }
    }

    /// <summary>Drops finished streams older than the retention (their events are in the store).</summary>
    /// <remarks>
    /// The dictionary keeps its peak's bucket array (≈1.3 MB after 120,000 streams) and no ConcurrentDictionary can be
    /// trimmed; a fresh copy swapped in would lose the streams that publishers add to the old one during the copy (their
    /// later events dropped, their subscribers unable to find them) unless every Append took a lock. The array is reused
    /// by the next burst, so it is left as it is.
    /// </remarks>
    internal void Sweep()
    {
        var now = _time.GetTimestamp();
        foreach (var pair in _logs)
        {
            if (pair.Value.Completed && _time.GetElapsedTime(pair.Value.CompletedAtTicks, now) > Retention)
            {
                // Only this stream: one that Seed or Restart put under the key since it was read stays.
                _logs.TryRemove(pair);
            }
        }
    }

    /// <summary>
    /// Forgets a job's stream at once (a rejected or deduplicated submit, a requeue the queue refused), ending its
    /// subscribers' channels: they go on from the store instead of waiting on a log nothing appends to any more.
    /// </summary>
    public void Forget(string jobId)
    {
        if (_logs.TryRemove(jobId, out var log))
        {
            log.Complete(_time.GetTimestamp());
        }
    }

    public void Dispose() => _sweeper.Dispose();
}
