namespace Sluice.Server.Tests.Scheduling;

/// <summary>
/// The system clock with its wall time moved by <see cref="Offset"/>, whose timers of at least <see cref="LongDue"/>
/// (the hourly store maintenance) fire only when <see cref="FireLongTimers"/> says so; shorter ones (the scheduler's)
/// run as ever.
/// </summary>
internal sealed class HeldLongTimersTimeProvider(TimeSpan longDue) : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<HeldTimer> _held = [];
    private long _offsetTicks;

    public TimeSpan Offset
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _offsetTicks));
        set => Volatile.Write(ref _offsetTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime < longDue)
        {
            return System.CreateTimer(callback, state, dueTime, period);
        }

        var timer = new HeldTimer(this, callback, state);
        lock (_lock)
        {
            _held.Add(timer);
        }

        return timer;
    }

    /// <summary>Fires every held timer once; how many there were.</summary>
    public int FireLongTimers()
    {
        HeldTimer[] due;
        lock (_lock)
        {
            due = [.. _held];
        }

        foreach (var t in due)
        {
            t.Fire();
        }

        return due.Length;
    }

    private sealed class HeldTimer(HeldLongTimersTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
            lock (owner._lock)
            {
                owner._held.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
