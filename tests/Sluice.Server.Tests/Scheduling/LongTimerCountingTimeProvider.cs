namespace Sluice.Server.Tests.Scheduling;

/// <summary>
/// The system clock, counting the timers made with a due time of at least <see cref="LongDue"/> that are not yet disposed
/// (a job's deadline timer, apart from the scheduler's short ones).
/// </summary>
internal sealed class LongTimerCountingTimeProvider(TimeSpan longDue) : TimeProvider
{
    private int _undisposed;

    public TimeSpan LongDue { get; } = longDue;

    /// <summary>Long timers made and not disposed.</summary>
    public int Undisposed => Volatile.Read(ref _undisposed);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = System.CreateTimer(callback, state, dueTime, period);
        if (dueTime < LongDue)
        {
            return timer;
        }

        Interlocked.Increment(ref _undisposed);
        return new Counted(timer, this);
    }

    private sealed class Counted(ITimer inner, LongTimerCountingTimeProvider owner) : ITimer
    {
        private int _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._undisposed);
            }

            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
