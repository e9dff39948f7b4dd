using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Sluice.Engine.Inference;

/// <summary>
/// A fixed team of dedicated threads that run the parallel regions of a forward pass (about five per layer, each
/// a few microseconds to a few milliseconds long). Between regions the threads spin briefly instead of going back
/// to the thread pool: waking a parked pool thread costs tens of microseconds, which at batch 1 was half of every
/// step. After <see cref="SpinTime"/> without work they block, so an idle engine costs no CPU. This is the
/// OpenMP / llama.cpp thread-pool pattern; .NET has no such primitive (<see cref="Parallel.For(int, int, Action{int})"/>
/// is the closest, and the fallback when the team is busy with another forward pass).
/// </summary>
internal sealed class WorkerTeam
{
    /// <summary>How long a worker keeps spinning for the next region before it blocks.</summary>
    public static readonly TimeSpan SpinTime = TimeSpan.FromMicroseconds(250);

    private static readonly Lazy<WorkerTeam> s_shared = new(() => new WorkerTeam(Environment.ProcessorCount - 1));

    private readonly object _gate = new();
    private readonly long _spinTicks = (long)(SpinTime.TotalSeconds * Stopwatch.Frequency);
    private readonly int _workers;
    private Action<int>? _body;
    private int _items;
    private int _next;
    private int _participants;
    private int _generation;
    private int _sleepers;
    private int _running;
    private int _busy;
    private Exception? _error;

    private WorkerTeam(int workers)
    {
        _workers = Math.Max(0, workers);
        for (var i = 0; i < _workers; i++)
        {
            var index = i;
            new Thread(() => Work(index)) { IsBackground = true, Name = $"sluice-engine-{i}" }.Start();
        }
    }

    /// <summary>The process's team: one thread per core besides the caller's, shared by every model.</summary>
    public static WorkerTeam Shared => s_shared.Value;

    /// <summary>
    /// Runs <paramref name="body"/>(0 … <paramref name="items"/> − 1) on the caller and up to
    /// <paramref name="threads"/> − 1 team threads, items handed out one at a time, and returns when all are done.
    /// When another forward pass holds the team, falls back to <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>.
    /// </summary>
    public void Run(int items, int threads, Action<int> body, ParallelOptions fallback)
    {
        if (threads <= 1 || items <= 1 || _workers == 0)
        {
            for (var i = 0; i < items; i++)
            {
                body(i);
            }

            return;
        }

        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            RunFallback(items, body, fallback);
            return;
        }

        try
        {
            _body = body;
            _items = items;
            _next = 0;
            _error = null;
            _participants = Math.Min(threads - 1, _workers);
            Volatile.Write(ref _running, _workers);
            lock (_gate)
            {
                // Publishing under the lock pairs with the sleepers' check, so no wake-up is lost.
                Volatile.Write(ref _generation, _generation + 1);
                if (_sleepers > 0)
                {
                    Monitor.PulseAll(_gate);
                }
            }

            try
            {
                Drain();
            }
            catch (Exception e)
            {
                Fail(e);
            }

            // Pure spinning, no yield: a yield hands the core to any other runnable thread for a whole time slice,
            // and the workers finish within microseconds.
            while (Volatile.Read(ref _running) != 0)
            {
                Thread.SpinWait(8);
            }

            _body = null;
            if (_error is { } error)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// Parallel.For wraps an item's exception in an AggregateException; unwrapping the first keeps one contract
    /// for callers whichever path ran their region.
    /// </summary>
    private static void RunFallback(int items, Action<int> body, ParallelOptions fallback)
    {
        try
        {
            Parallel.For(0, items, fallback, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Drain()
    {
        var body = _body!;
        int item;
        while ((item = Interlocked.Increment(ref _next) - 1) < _items)
        {
            body(item);
        }
    }

    private void Fail(Exception e)
    {
        Interlocked.CompareExchange(ref _error, e, null);

        // Claim the remaining items so nobody runs them after a failure.
        Volatile.Write(ref _next, int.MaxValue / 2);
    }

    private void Work(int index)
    {
        var seen = 0;
        while (true)
        {
            seen = WaitForGeneration(seen);
            if (index < _participants)
            {
                try
                {
                    Drain();
                }
                catch (Exception e)
                {
                    Fail(e);
                }
            }

            Interlocked.Decrement(ref _running);
        }
    }

    private int WaitForGeneration(int seen)
    {
        var start = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref _generation) == seen)
        {
            if (Stopwatch.GetTimestamp() - start > _spinTicks)
            {
                lock (_gate)
                {
                    while (_generation == seen)
                    {
                        _sleepers++;
                        Monitor.Wait(_gate);
                        _sleepers--;
                    }
                }

                break;
            }

            Thread.SpinWait(8);
        }

        return Volatile.Read(ref _generation);
    }
}
