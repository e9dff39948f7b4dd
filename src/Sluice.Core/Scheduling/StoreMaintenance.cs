using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Core.Metrics;
using Sluice.Core.Storage;

namespace Sluice.Core.Scheduling;

/// <summary>
/// Hourly housekeeping: forgets idempotency keys and durable cache entries older than 24 hours, then deletes the jobs
/// finished longer ago than the store's job retention (<see cref="JobRetention"/>), with their events and results.
/// </summary>
internal sealed partial class StoreMaintenance(IJobStore store, SluiceMetrics metrics, TimeProvider time, ILogger<StoreMaintenance> logger) : BackgroundService
{
    public static readonly TimeSpan Retention = IdempotencyRetention.Max;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    var now = time.GetUtcNow();
                    await store.PurgeAsync(now - Retention, stoppingToken).ConfigureAwait(false);
                    await PurgeFinishedJobsAsync(now, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.PurgeFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Batch after batch until one comes back short: each batch is its own write, so the SQLite writer and PostgreSQL's
    /// row locks are never held for a whole night's jobs at once, and the writes of requests interleave between them.
    /// </summary>
    private async Task PurgeFinishedJobsAsync(DateTimeOffset now, CancellationToken stoppingToken)
    {
        var total = 0L;
        try
        {
            int purged;
            do
            {
                purged = await store.PurgeFinishedJobsAsync(now, JobRetention.BatchSize, stoppingToken).ConfigureAwait(false);
                total += purged;
                metrics.JobsPurged.Add(purged);
            }
            while (purged >= JobRetention.BatchSize);
        }
        finally
        {
            if (total > 0)
            {
                Log.JobsPurged(logger, total);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1501, Level = LogLevel.Warning, Message = "Purging expired idempotency keys and finished jobs past their retention failed; will retry in an hour")]
        public static partial void PurgeFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1502, Level = LogLevel.Information, Message = "Deleted {Count} finished jobs past their retention, with their events and results")]
        public static partial void JobsPurged(ILogger logger, long count);
    }
}
