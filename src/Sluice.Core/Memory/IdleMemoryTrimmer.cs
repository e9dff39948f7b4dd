using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sluice.Core.Memory;

/// <summary>
/// Gives the memory of a traffic peak back to the operating system once the peak is over. The garbage collector keeps
/// the heap it grew for the evening's burst committed, and an idle server collects too rarely to shrink it (after the
/// 300-user burst of <c>docs/architecture.md</c> the resident set stayed at twice its start), so a node looked as big
/// all night as at its peak. After <see cref="MemoryOptions.TrimAfterIdleSeconds"/>
/// of near idleness one aggressive blocking collection compacts the heap and decommits what is free, again each idle
/// period while that returns memory, then ever more rarely. A busy process is never paused for it.
/// </summary>
internal sealed partial class IdleMemoryTrimmer(IOptions<MemoryOptions> options, TimeProvider time, ILogger<IdleMemoryTrimmer> logger) : BackgroundService
{
    /// <summary>
    /// At most this much allocated per idle period counts as idle: health probes and metrics scrapes allocate some tens
    /// of KB a minute, a single request already more than a probe.
    /// </summary>
    internal const long IdleAllocationBytes = 4L * 1024 * 1024;

    /// <summary>A trim that returned less than this was not needed: the next waits twice as many idle periods.</summary>
    internal const long WorthwhileBytes = 8L * 1024 * 1024;

    /// <summary>The longest wait between needless trims, in idle periods (an hour at the default 60 s).</summary>
    internal const int MaxBackoffPeriods = 64;

    /// <summary>Idle periods to let pass before the next trim; doubled by each trim that returned little.</summary>
    private int _backoff = 1;
    private int _wait;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = options.Value.TrimAfterIdleSeconds;
        if (seconds == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), time);
        var allocated = GC.GetTotalAllocatedBytes();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                TryTrim(GC.GetTotalAllocatedBytes() - allocated);
                // Measured after the trim: a collection's own allocations are not the next period's traffic.
                allocated = GC.GetTotalAllocatedBytes();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The trim itself, returning the bytes it gave back; replaced by unit tests of the schedule around it.</summary>
    internal Func<long> Collect { get; init; } = CollectAggressively;

    /// <summary>
    /// One check, given what the process allocated since the last one: after a period that allocated next to nothing,
    /// trims (or counts down the wait a needless trim set). Trimming goes on each idle period while it returns memory,
    /// since what a peak leaves behind is freed over a few periods (finished jobs' event logs stay for a minute).
    /// </summary>
    /// <returns>The bytes the trim returned, or -1 when it did not trim.</returns>
    internal long TryTrim(long allocatedInPeriod)
    {
        if (allocatedInPeriod > IdleAllocationBytes)
        {
            _backoff = 1;
            _wait = 0;
            return -1;
        }

        if (_wait > 0)
        {
            _wait--;
            return -1;
        }

        var returned = Collect();
        if (returned >= WorthwhileBytes)
        {
            _backoff = 1;
            Log.Trimmed(logger, returned / (1024 * 1024), Environment.WorkingSet / (1024 * 1024));
        }
        else
        {
            _backoff = Math.Min(_backoff * 2, MaxBackoffPeriods);
            _wait = _backoff - 1;
        }

        return returned;
    }

    /// <summary>
    /// A blocking, compacting collection of every generation that also decommits the free memory it leaves; what it
    /// returned is measured on the resident set (the GC's own committed figure is the last collection's, not now's).
    /// </summary>
    private static long CollectAggressively()
    {
        var before = Environment.WorkingSet;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return Math.Max(0, before - Environment.WorkingSet);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "Idle after a peak: returned {ReturnedMiB} MiB of the garbage collector's spare memory to the system (resident set now {ResidentMiB} MiB)")]
        public static partial void Trimmed(ILogger logger, long returnedMiB, long residentMiB);
    }
}
