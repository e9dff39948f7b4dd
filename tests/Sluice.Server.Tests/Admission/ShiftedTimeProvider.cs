namespace Sluice.Server.Tests.Admission;

/// <summary>
/// The system clock with its wall time moved by <see cref="Offset"/>: tokens and deadlines see the future, while
/// timestamps, timers and delays (the scheduler's) run as ever.
/// </summary>
internal sealed class ShiftedTimeProvider : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _offsetTicks));
        set => Volatile.Write(ref _offsetTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
