using Microsoft.Extensions.Logging;

namespace Sluice.Core.Scheduling;

internal sealed partial class JobLifecycle
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Store write for job {JobId} failed; the job stays unfinished and is recovered on restart")]
        public static partial void StoreWriteFailed(ILogger logger, Exception exception, string jobId);

        [LoggerMessage(EventId = 1109, Level = LogLevel.Warning, Message = "Outcome of job {JobId} stored after {Failures} failed writes (the store was unavailable meanwhile)")]
        public static partial void OutcomeStoredAfterOutage(ILogger logger, string jobId, int failures);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt} failed, retrying in {DelayMs:F0} ms: {Error}")]
        public static partial void Retrying(ILogger logger, string jobId, int attempt, double delayMs, string error);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Job {JobId} on {Model} ended {Status}: {Error}")]
        public static partial void JobFailed(ILogger logger, string jobId, string model, string status, string error);

        [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Job {JobId} moved from {Model} to its fallback {Fallback}: {Reason}")]
        public static partial void Rerouted(ILogger logger, string jobId, string model, string fallback, string reason);

        [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Job {JobId}: the queue of fallback {Fallback} refused it ({Result}); it goes back to its own model")]
        public static partial void RerouteRefused(ILogger logger, string jobId, string fallback, string result);

        [LoggerMessage(EventId = 1107, Level = LogLevel.Information, Message = "Job {JobId}: a stale run (superseded by a newer run of the job here) reported a {Type} event; its events are dropped")]
        public static partial void StaleRunEventsDropped(ILogger logger, string jobId, string type);

        [LoggerMessage(EventId = 1108, Level = LogLevel.Information, Message = "Job {JobId}: its stale run (attempt {Attempt}) stopped, superseded by a newer run of the job here")]
        public static partial void StaleRunStopped(ILogger logger, string jobId, int attempt);

        [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Job {JobId} stopped without an outcome: its delivery went with a lost broker connection and is redelivered")]
        public static partial void RunAbandoned(ILogger logger, string jobId);
    }
}
