using Microsoft.Extensions.Logging;

namespace Sluice.Core.Scheduling;

internal sealed partial class PendingRefusals
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1110, Level = LogLevel.Warning, Message = "Job {JobId} was refused by the queue and the store could not take its failed outcome; it is kept and written once the store is back (the job is not published meanwhile)")]
        public static partial void Kept(ILogger logger, string jobId);

        [LoggerMessage(EventId = 1111, Level = LogLevel.Warning, Message = "Could not store {Count} refused jobs' failed outcomes ({Error}); retrying")]
        public static partial void WriteFailed(ILogger logger, int count, string error);

        [LoggerMessage(EventId = 1112, Level = LogLevel.Information, Message = "Refused job {JobId} stored as failed (its Idempotency-Key released) after {Failures} failed writes")]
        public static partial void Stored(ILogger logger, string jobId, int failures);

        [LoggerMessage(EventId = 1113, Level = LogLevel.Information, Message = "Refused job {JobId} was settled by another write meanwhile; its refusal is dropped")]
        public static partial void SettledElsewhere(ILogger logger, string jobId);

        [LoggerMessage(EventId = 1114, Level = LogLevel.Warning, Message = "{Count} refused jobs' failed outcomes still pending {Seconds} s into the stop (the store is slow or down): {JobIds}; a gateway's sweep may publish and run them after RepublishAfter")]
        public static partial void LeftAtStop(ILogger logger, int count, double seconds, string jobIds);

        [LoggerMessage(EventId = 1115, Level = LogLevel.Warning, Message = "Job {JobId} was refused because the store did not answer its create's commit, which may have landed; it is written failed once the store is back, if it was stored (it is not published meanwhile)")]
        public static partial void KeptUnanswered(ILogger logger, string jobId);

        [LoggerMessage(EventId = 1116, Level = LogLevel.Information, Message = "Job {JobId}, refused when the store did not answer its create's commit, is not stored as queued (that commit did not land); nothing to write")]
        public static partial void NotStored(ILogger logger, string jobId);
    }
}
