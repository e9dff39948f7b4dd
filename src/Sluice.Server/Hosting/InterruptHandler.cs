using System.Runtime.InteropServices;

namespace Sluice.Server.Hosting;

/// <summary>
/// Ctrl+C in a terminal. The first one is the host's graceful stop (its own handler begins it): this says how long the
/// drain may take and how to skip it. The host swallows every further Ctrl+C, so a drain held by a long request kept
/// the terminal for the whole <c>ShutdownTimeout</c>; a second one now ends the process at once (exit code 130), as a
/// crash would: the jobs still running are recovered at the next start (their attempt counted), nothing accepted is lost.
/// </summary>
internal sealed partial class InterruptHandler : IDisposable
{
    private readonly ILogger _logger;
    private readonly TimeSpan _shutdownTimeout;
    private readonly Action<int> _exit;
    private readonly PosixSignalRegistration _registration;
    private int _count;

    /// <param name="exit">Ends the process with the given code (the server's <see cref="Environment.Exit"/>, after flushing its logs).</param>
    public InterruptHandler(ILogger<InterruptHandler> logger, TimeSpan shutdownTimeout, Action<int> exit)
    {
        _logger = logger;
        _shutdownTimeout = shutdownTimeout;
        _exit = exit;
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnInterrupt);
    }

    /// <summary>The exit code of a second Ctrl+C, as a shell reports a process ended by SIGINT.</summary>
    public const int ExitCode = 130;

    private void OnInterrupt(PosixSignalContext context)
    {
        // Never the default action (an abrupt exit without the drain); the host's handler starts the graceful stop.
        context.Cancel = true;
        if (Interlocked.Increment(ref _count) == 1)
        {
            Log.Draining(_logger, (int)Math.Ceiling(_shutdownTimeout.TotalSeconds));
            return;
        }

        Log.StoppingAtOnce(_logger);
        _exit(ExitCode);
    }

    public void Dispose() => _registration.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 3701, Level = LogLevel.Warning, Message = "Ctrl+C: stopping gracefully, for up to {Seconds} s: requests in flight finish and running jobs go back to the queue. Press Ctrl+C again to stop at once")]
        public static partial void Draining(ILogger logger, int seconds);

        [LoggerMessage(EventId = 3702, Level = LogLevel.Warning, Message = "Ctrl+C again: stopping at once without draining; requests in flight are cut off and jobs still running are recovered at the next start, their attempt counted")]
        public static partial void StoppingAtOnce(ILogger logger);
    }
}
