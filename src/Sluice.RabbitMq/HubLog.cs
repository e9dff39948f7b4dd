using System.Threading.Channels;
using Sluice.Core.Events;
using Sluice.Core.Jobs;

namespace Sluice.RabbitMq;

/// <summary>
/// What one process holds of one job's stream: a bounded tail of events (ids <see cref="FirstId"/> to
/// <see cref="LastId"/>, gapless) and the local subscribers. Earlier events are in the store. Ids are assigned
/// or accepted under the lock, so they stay gapless and in order.
/// </summary>
internal sealed class HubLog
{
    /// <summary>Most events kept per job; older ones are served from the store.</summary>
    public const int MaxBuffered = 4096;

    private readonly List<JobEvent> _events = [];
    private readonly List<JobEventSubscription> _subscribers = [];
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

    /// <summary>The attempt this process runs (set by a delivery), carried by the events it appends; null on gateways.</summary>
    public int? Attempt { get; private set; }

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
    public JobEvent Append(string type, string dataJson, DateTimeOffset now, out bool accepted)
    {
        lock (_lock)
        {
            var e = new JobEvent(JobId, LastId + 1, type, dataJson, now) { Attempt = Attempt };
            accepted = !Completed;
            if (accepted)
            {
                AddLocked(e);
            }

            return e;
        }
    }

    /// <summary>Accepts an event with its id: true when applied, false when already held; <paramref name="gap"/> when ids are missing before it.</summary>
    public bool TryAccept(JobEvent e, bool force, out bool gap)
    {
        lock (_lock)
        {
            gap = false;
            if (e.Id <= LastId || Completed)
            {
                // Held already, or after the stream's terminal event (a late event of a superseded run).
                return false;
            }

            if (e.Id != LastId + 1 && !force)
            {
                gap = true;
                return false;
            }

            if (e.Id != LastId + 1)
            {
                // The missing ids are nowhere to be found: keep the stream moving rather than stall it forever.
                _events.Clear();
                FirstId = e.Id;
            }

            AddLocked(e);
            return true;
        }
    }

    /// <summary>A delivery says the stream stands at <paramref name="lastId"/>; a finished or older view restarts from there.</summary>
    public void Seed(long lastId, int? attempt = null)
    {
        lock (_lock)
        {
            Attempt = attempt ?? Attempt;
            if (Completed || lastId > LastId)
            {
                _events.Clear();
                FirstId = lastId + 1;
                LastId = lastId;
                Completed = false;
            }
        }
    }

    private void AddLocked(JobEvent e)
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
            _subscribers.Clear();
        }
    }

    /// <summary>A subscription replaying after <paramref name="afterId"/>, or null when the events right after it are no longer held.</summary>
    public JobEventSubscription? Subscribe(long afterId, Action<JobEventSubscription> unsubscribe)
    {
        var channel = Channel.CreateUnbounded<JobEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        var sub = new JobEventSubscription(channel, unsubscribe);
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

    public void Remove(JobEventSubscription sub)
    {
        lock (_lock)
        {
            _subscribers.Remove(sub);
        }
    }

    public IReadOnlyList<JobEvent> Snapshot()
    {
        lock (_lock)
        {
            return _events.ToArray();
        }
    }

    public void Complete(long nowTicks)
    {
        lock (_lock)
        {
            Completed = true;
            CompletedTicks = nowTicks;
            foreach (var s in _subscribers)
            {
                s.Channel.Writer.TryComplete();
            }

            _subscribers.Clear();
        }
    }
}
