namespace Sluice.Backends.Streaming;

/// <summary>
/// An auto-reset signal the batcher awaits without holding a thread: the upstream readers set it when a chunk arrives,
/// and a wait consumes it or gives up after a bound. (Microsoft.VisualStudio.Threading's <c>AsyncAutoResetEvent</c>
/// would replace it; it is not a dependency here.)
/// </summary>
internal sealed class AsyncSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource? _waiter;
    private bool _set;

    /// <summary>Wakes the current waiter, or lets the next wait return at once.</summary>
    public void Set()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            waiter = _waiter;
            _waiter = null;
            _set = waiter is null;
        }

        waiter?.TrySetResult();
    }

    /// <summary>
    /// Completes when the signal is set (consuming it), after <paramref name="max"/> of wall time, or on cancellation,
    /// whichever comes first; never throws. A set signal returns synchronously with no allocation, which is the
    /// common case while tokens stream in.
    /// </summary>
    public async ValueTask WaitAsync(TimeSpan max, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_set)
            {
                _set = false;
                return;
            }

            waiter = _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        // Wall time on purpose: this bounds how long sequences waiting to join are kept waiting, not business time.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(max, bound.Token);
        await Task.WhenAny(waiter.Task, delay).ConfigureAwait(false);
        await bound.CancelAsync().ConfigureAwait(false);
        lock (_gate)
        {
            // Timed out or cancelled: step aside, so a Set that comes while nobody waits is kept for the next wait.
            if (ReferenceEquals(_waiter, waiter))
            {
                _waiter = null;
            }
        }
    }
}
