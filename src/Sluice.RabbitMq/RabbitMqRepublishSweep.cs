using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Core.Scheduling;

namespace Sluice.RabbitMq;

/// <summary>
/// On gateways: finds jobs a gateway journaled but that the broker never confirmed (the gateway died between
/// the two; the client got no 202, but an idempotent retry replays the stored job as queued) and publishes them
/// again. The store's claim makes one gateway republish each job; the marker set after every confirm keeps
/// published jobs out; the worker checks a republished copy against the store and drops it when the original
/// was taken after all. Each round it also takes over the deadlines of queued jobs that no timer of this process
/// watches (their gateway stopped, and the timers lived in its memory).
/// </summary>
internal sealed partial class RabbitMqRepublishSweep(RabbitMqJobQueue queue, IOptions<RabbitMqOptions> options, IOptions<SchedulingOptions> role,
    TimeProvider time, ILogger<RabbitMqRepublishSweep> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!role.Value.ServesApi)
        {
            return;
        }

        var interval = TimeSpan.FromTicks(Math.Clamp(options.Value.RepublishAfter.Ticks / 4, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromSeconds(30).Ticks));
        // The first round runs at once (a taken-over deadline may be due in a second); every later one, failed or not,
        // waits its interval, so a store that is down is not hammered. Deadlines are looked up two rounds ahead, so
        // one due before the next round is already armed.
        var wait = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
                wait = interval;
                var armed = await queue.RearmDeadlinesAsync(time.GetUtcNow() + (2 * interval), stoppingToken).ConfigureAwait(false);
                if (armed > 0)
                {
                    Log.DeadlinesArmed(logger, armed);
                }

                await queue.RepublishUnconfirmedAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Store or broker down: claimed jobs are claimed again once the claim is as old as the bound.
                Log.SweepFailed(logger, ex.Message);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2701, Level = LogLevel.Warning, Message = "Sweep for unconfirmed jobs failed: {Error}")]
        public static partial void SweepFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 2702, Level = LogLevel.Debug, Message = "Took over the deadlines of {Count} queued jobs")]
        public static partial void DeadlinesArmed(ILogger logger, int count);
    }
}
