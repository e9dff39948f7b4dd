using Microsoft.Extensions.Logging;

namespace Sluice.RabbitMq;

/// <summary>
/// The warnings of failed submits' publishes (a confirm timeout or nack, a lost connection), rate-limited: on a frozen or
/// partitioned broker every submit fails the same way, and a line per request would bury everything else. The first
/// failure is logged as it is, then at most one summary per <see cref="Interval"/> counting the failures not logged, and
/// one line once a publish is confirmed again. While publishes succeed, <see cref="Confirmed"/> is one volatile read.
/// </summary>
internal sealed partial class PublishFailureLog(ILogger logger, TimeProvider time)
{
    private readonly Lock _lock = new();

    // 1 from a failure until the next confirmed publish (read without the lock on the hot path).
    private int _failing;
    private long _firstTicks;
    private long _lastLineTicks;
    private int _failed;
    private int _notLogged;

    /// <summary>Shortest time between two lines while publishes keep failing.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    public void Failed(string jobId, string error)
    {
        lock (_lock)
        {
            var now = time.GetTimestamp();
            if (_failing == 0)
            {
                _firstTicks = now;
                _lastLineTicks = now;
                _failed = 1;
                _notLogged = 0;
                Volatile.Write(ref _failing, 1);
                Log.PublishFailed(logger, jobId, error);
                return;
            }

            _failed++;
            _notLogged++;
            var since = time.GetElapsedTime(_lastLineTicks, now);
            if (since >= Interval)
            {
                Log.StillFailing(logger, _notLogged, Math.Round(since.TotalSeconds), jobId, error);
                _lastLineTicks = now;
                _notLogged = 0;
            }
        }
    }

    /// <summary>A publish was confirmed: says so once after failures.</summary>
    public void Confirmed()
    {
        if (Volatile.Read(ref _failing) == 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_failing == 0)
            {
                return;
            }

            Volatile.Write(ref _failing, 0);
            Log.ConfirmedAgain(logger, _failed, Math.Round(time.GetElapsedTime(_firstTicks).TotalSeconds), _notLogged);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2401, Level = LogLevel.Warning, Message = "Could not publish job {JobId}: {Error}")]
        public static partial void PublishFailed(ILogger logger, string jobId, string error);

        [LoggerMessage(EventId = 2413, Level = LogLevel.Warning, Message = "{Count} more publishes failed in the last {Seconds} s, not logged one by one (latest: job {JobId}: {Error})")]
        public static partial void StillFailing(ILogger logger, int count, double seconds, string jobId, string error);

        [LoggerMessage(EventId = 2414, Level = LogLevel.Information, Message = "RabbitMQ confirms publishes again, after {Count} failed publishes in {Seconds} s ({NotLogged} of them not logged yet)")]
        public static partial void ConfirmedAgain(ILogger logger, int count, double seconds, int notLogged);
    }
}
