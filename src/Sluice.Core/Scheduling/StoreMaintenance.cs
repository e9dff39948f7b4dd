using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Core.Storage;

namespace Sluice.Core.Scheduling;

/// <summary>Hourly housekeeping: forgets idempotency keys and durable cache entries older than 24 hours.</summary>
internal sealed partial class StoreMaintenance(IJobStore store, TimeProvider time, ILogger<StoreMaintenance> logger) : BackgroundService
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
                    await store.PurgeAsync(time.GetUtcNow() - Retention, stoppingToken).ConfigureAwait(false);
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 1501, Level = LogLevel.Warning, Message = "Purging expired idempotency keys failed; will retry in an hour")]
        public static partial void PurgeFailed(ILogger logger, Exception exception);
    }
}
