using Sluice.Core.Events;
using Sluice.Core.Jobs;
using Sluice.Core.Storage;

namespace Sluice.RabbitMq;

/// <summary>
/// What one process holds of one job's stream: a bounded tail of events (ids <see cref="FirstId"/> to
/// <see cref="LastId"/>, gapless) and the local subscribers. Earlier events are in the store. Ids are assigned
/// or accepted under the lock, so they stay gapless and in order. Events that arrive ahead of a gap (two processes
/// publish one stream, so the broker may deliver them out of order) are held until the gap is filled, live or from
/// the store, and only skipped over when the missing ids cannot be found.
/// </summary>
internal sealed class HubLog : ISubscriberList
{
    /// <summary>Most events kept per job; older ones are served from the store.</summary>
    public const int MaxBuffered = 4096;

    private readonly List<JobEvent> _events = [];
    private readonly List<JobEventSubscription> _subscribers = [];

    /// <summary>Events received ahead of a gap, by id; applied once the ids before them arrive.</summary>
    private readonly SortedList<long, JobEvent> _held = [];
    private readonly Lock _lock = new();

    public HubLog(string jobId, long lastId)
    {
        JobId = jobId;
        LastId = lastId;
        FirstId = lastId + 1;
    }

    public string JobId { get; }

    /// <summary>Id of the oldest event held (or of the next one when none is held).</summary>
    public long FirstId { get; private set; }

    public long LastId { get; private set; }

    public bool Completed { get; private set; }

    public long TouchedTicks { get; set; }

    public long CompletedTicks { get; private set; }

    /// <summary>When the oldest held event arrived (meaningful only while <see cref="HasHeld"/>).</summary>
    public long HeldSinceTicks { get; private set; }

    public bool HasHeld
    {
        get
        {
            lock (_lock)
            {
                return _held.Count > 0;
            }
        }
    }

    /// <summary>The attempt this process runs (set by a delivery), carried by the events it appends; null on gateways.</summary>
    public int? Attempt { get; private set; }

    /// <summary>When the store marked the run of <see cref="Attempt"/> started, once it has (see <see cref="BeginRun"/>); null before.</summary>
    public DateTimeOffset? RunStartedAt { get; private set; }

    /// <summary>The run of this process's delivery started as <paramref name="run"/>: its events carry that identity.</summary>
    public void BeginRun(JobRun run)
    {
        lock (_lock)
        {
            Attempt = run.Attempt;
            RunStartedAt = run.StartedAt;
        }
    }

    public int SubscriberCount
    {
        get
        {
            lock (_lock)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>
    /// Appends an event produced in this process, assigning the next id. Refused (<paramref name="accepted"/>
    /// false, nothing held or published) once the stream has ended: a stream has exactly one terminal event.
    /// </summary>
    public JobEvent Append(string type, string dataJson, DateTimeOffset now, long nowTicks, out bool accepted)
    {
        lock (_lock)
        {
            var e = new JobEvent(JobId, LastId + 1, type, dataJson, now) { Attempt = Attempt, RunStartedAt = RunStartedAt };
            accepted = !Completed;
            if (accepted)
            {
                AddLocked(e, nowTicks);
            }

            return e;
        }
    }

    /// <summary>
    /// Accepts an event with its id: true when applied, false when already held or past the end. An event after
    /// missing ids is held back (<paramref name="gapOpened"/> when it is the first one held, so the caller fills the
    /// gap from the store once), unless <paramref name="force"/> skips over them.
    /// </summary>
    public bool TryAccept(JobEvent e, bool force, long nowTicks, out bool gapOpened)
    {
        lock (_lock)
        {
            gapOpened = false;
            if (e.Id <= LastId || Completed)
            {
                // Held already, or after the stream's terminal event (a late event of a superseded run).
                return false;
            }

            if (e.Id != LastId + 1 && !force && _held.Count < MaxBuffered)
            {
                if (_held.TryAdd(e.Id, e) && _held.Count == 1)
                {
                    HeldSinceTicks = nowTicks;
                    gapOpened = true;
                }

                return false;
            }

            if (e.Id != LastId + 1)
            {
                // The missing ids are nowhere to be found: keep the stream moving rather than stall it forever.
                _events.Clear();
                FirstId = e.Id;
            }

            AddLocked(e, nowTicks);
            DrainHeldLocked(nowTicks);
            return true;
        }
    }

    /// <summary>Gives up on the gap before the oldest held event (not in the store either): the stream goes on from it.</summary>
    public void SkipGap(long nowTicks)
    {
        lock (_lock)
        {
            if (_held.Count == 0 || Completed)
            {
                return;
            }

            var first = _held.Values[0];
            _held.RemoveAt(0);
            _events.Clear();
            FirstId = first.Id;
            AddLocked(first, nowTicks);
            DrainHeldLocked(nowTicks);
        }
    }

    /// <summary>A delivery says the stream stands at <paramref name="lastId"/>; a finished or older view restarts from there.</summary>
    public void Seed(long lastId, int? attempt = null)
    {
        lock (_lock)
        {
            if (attempt is not null)
            {
                // A new delivery: its run has not started yet, and is not the one an earlier delivery ran.
                Attempt = attempt;
                RunStartedAt = null;
            }
            if (Completed || lastId > LastId)
            {
                _events.Clear();
                FirstId = lastId + 1;
                LastId = lastId;
                Completed = false;
                DrainHeldLocked(TouchedTicks);
            }
        }
    }

    /// <summary>Applies the held events that now follow on; drops those the stream has moved past.</summary>
    private void DrainHeldLocked(long nowTicks)
    {
        while (_held.Count > 0 && !Completed && _held.Keys[0] <= LastId + 1)
        {
            var next = _held.Values[0];
            _held.RemoveAt(0);
            if (next.Id == LastId + 1)
            {
                AddLocked(next, nowTicks);
            }
        }

        if (Completed)
        {
            _held.Clear();
        }
        else if (_held.Count > 0)
        {
            // The gap now starts later: its wait starts now.
            HeldSinceTicks = nowTicks;
        }
    }

    private void AddLocked(JobEvent e, long nowTicks)
    {
        if (_events.Count >= MaxBuffered)
        {
            _events.RemoveRange(0, MaxBuffered / 2);
            FirstId = _events[0].Id;
        }

        if (_events.Count == 0)
        {
            FirstId = e.Id;
        }

        _events.Add(e);
        LastId = e.Id;
        for (var i = 0; i < _subscribers.Count; i++)
        {
            _subscribers[i].Channel.Writer.TryWrite(e);
            if (e.IsTerminal)
            {
                _subscribers[i].Channel.Writer.TryComplete();
            }
        }

        if (e.IsTerminal)
        {
            // A stream has exactly one terminal event: nothing is appended or accepted after it.
            _subscribers.Clear();
            Completed = true;
            CompletedTicks = nowTicks;
        }
    }

    /// <summary>A subscription replaying after <paramref name="afterId"/>, or null when the events right after it are no longer held.</summary>
    public JobEventSubscription? Subscribe(long afterId, Action<JobEventSubscription> unsubscribe)
    {
        // The in-process hub's channel: the same contract (unbounded, any writer, one reader), a fraction of the memory.
        var channel = new JobEventChannel();
        var sub = new JobEventSubscription(channel, unsubscribe) { Log = this };
        lock (_lock)
        {
            if (afterId + 1 < FirstId && afterId < LastId)
            {
                return null;
            }

            var terminal = false;
            for (var i = 0; i < _events.Count; i++)
            {
                if (_events[i].Id > afterId)
                {
                    channel.Writer.TryWrite(_events[i]);
                }

                terminal |= _events[i].IsTerminal;
            }

            if (terminal)
            {
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

    /// <summary>The events held, copied once into an array with <paramref name="room"/> free slots after them.</summary>
    public JobEvent[] Snapshot(int room)
    {
        lock (_lock)
        {
            var events = new JobEvent[_events.Count + room];
            _events.CopyTo(events);
            return events;
        }
    }

    public void Complete(long nowTicks)
    {
        lock (_lock)
        {
            Completed = true;
            CompletedTicks = nowTicks;
            _held.Clear();
            foreach (var s in _subscribers)
            {
                s.Channel.Writer.TryComplete();
            }

            _subscribers.Clear();
        }
    }
}
