using Sluice.Core.Jobs;

namespace Sluice.Core.Events;

/// <summary>
/// The events of one job plus its live subscribers; ids are assigned under the lock so they are gapless. A stream
/// may start after <c>lastId</c> (a requeued dead letter continues its ids rather than reusing them).
/// </summary>
internal sealed class JobEventLog : ISubscriberList
{
    private readonly List<JobEvent> _events = [];
    private readonly List<JobEventSubscription> _subscribers = [];
    private readonly Lock _lock = new();
    private readonly long _lastIdBefore;
    private bool _superseded;

    public JobEventLog(string jobId, long lastId = 0)
    {
        JobId = jobId;
        _lastIdBefore = lastId;
    }

    public string JobId { get; }

    /// <summary>Id the next event will get.</summary>
    public long NextId
    {
        get
        {
            lock (_lock)
            {
                return _lastIdBefore + _events.Count + 1;
            }
        }
    }

    public bool Completed { get; private set; }

    public long CompletedAtTicks { get; private set; }

    public JobEvent Append(string type, string dataJson, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (Completed)
            {
                // A job settled while its step was still running (a cancel that did not wait for it): what the step
                // reports afterwards is not part of the stream, which ended with its terminal event. Not stored,
                // never sent, no id taken.
                return new JobEvent(JobId, _lastIdBefore + _events.Count + 1, type, dataJson, now);
            }

            var e = new JobEvent(JobId, _lastIdBefore + _events.Count + 1, type, dataJson, now);
            Publish(e);
            return e;
        }
    }

    /// <summary>Adds an event whose id is the next one to the log and hands it to the subscribers (under the lock).</summary>
    private void Publish(JobEvent e)
    {
        _events.Add(e);
        for (var i = 0; i < _subscribers.Count; i++)
        {
            // Unbounded per-subscriber channels: a slow reader costs memory bounded by the job's own event count.
            _subscribers[i].Channel.Writer.TryWrite(e);
            if (e.IsTerminal)
            {
                _subscribers[i].Channel.Writer.TryComplete();
            }
        }
    }

    /// <summary>
    /// Publishes the terminal event as it is (the one the store got) and completes the log, only when its id is still
    /// the next one and the log has not ended: checked and done under the lock, so a seed replacing the stream cannot
    /// slip in between.
    /// </summary>
    public bool TryEnd(JobEvent terminal, long nowTicks)
    {
        lock (_lock)
        {
            if (Completed || _lastIdBefore + _events.Count + 1 != terminal.Id)
            {
                return false;
            }

            Publish(terminal);
            Complete(nowTicks);
            return true;
        }
    }

    public JobEventSubscription Subscribe(long afterId, Action<JobEventSubscription> unsubscribe)
    {
        var channel = new JobEventChannel();
        var sub = new JobEventSubscription(channel, unsubscribe) { Log = this };
        lock (_lock)
        {
            for (var i = (int)Math.Clamp(afterId - _lastIdBefore, 0, _events.Count); i < _events.Count; i++)
            {
                channel.Writer.TryWrite(_events[i]);
            }

            if (Completed || (_events.Count > 0 && _events[^1].IsTerminal))
            {
                if (_superseded)
                {
                    // Subscribed just as a requeue replaced this stream: follow the new one instead.
                    sub.MarkSuperseded();
                }

                channel.Writer.TryComplete();
            }
            else
            {
                _subscribers.Add(sub);
            }
        }

        return sub;
    }

    public bool Remove(JobEventSubscription sub)
    {
        lock (_lock)
        {
            return _subscribers.Remove(sub);
        }
    }

    /// <summary>The events, copied once into an array with <paramref name="room"/> free slots after them.</summary>
    public JobEvent[] Snapshot(int room)
    {
        lock (_lock)
        {
            var events = new JobEvent[_events.Count + room];
            _events.CopyTo(events);
            return events;
        }
    }

    /// <summary>
    /// Ends the stream because the job's next run has a stream of its own (a requeue's seed): its subscribers are told
    /// (<see cref="JobEventSubscription.Superseded"/>) so they follow that run rather than wait for this one's end.
    /// </summary>
    public void Supersede(long nowTicks)
    {
        lock (_lock)
        {
            if (!Completed)
            {
                _superseded = true;
                foreach (var s in _subscribers)
                {
                    s.MarkSuperseded();
                }
            }

            Complete(nowTicks);
        }
    }

    public void Complete(long nowTicks)
    {
        lock (_lock)
        {
            Completed = true;
            CompletedAtTicks = nowTicks;
            foreach (var s in _subscribers)
            {
                s.Channel.Writer.TryComplete();
            }

            _subscribers.Clear();
        }
    }
}
