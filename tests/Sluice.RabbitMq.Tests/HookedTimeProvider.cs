namespace Sluice.RabbitMq.Tests;

/// <summary>
/// The system clock, with a hook a test arms for one thread: called on that thread's reads of the time (a test's
/// hook into code between its steps, where the code reads the clock).
/// </summary>
internal sealed class HookedTimeProvider : TimeProvider
{
    private volatile int _thread = -1;
    private Action<int>? _hook;
    private int _reads;

    /// <summary>Calls <paramref name="hook"/> with the count (from 1) of each read of the time on the calling thread from now on.</summary>
    public void HookThisThread(Action<int> hook)
    {
        _hook = hook;
        _reads = 0;
        _thread = Environment.CurrentManagedThreadId;
    }

    public void Unhook() => _thread = -1;

    public override DateTimeOffset GetUtcNow()
    {
        if (_thread == Environment.CurrentManagedThreadId && _hook is { } hook)
        {
            hook(++_reads);
        }

        return base.GetUtcNow();
    }
}
