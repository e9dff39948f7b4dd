namespace Sluice.Bench.Load;

/// <summary>How a request ended; every sent request ends in exactly one of these.</summary>
internal enum OutcomeKind
{
    /// <summary>The target did the work (2xx and, for jobs, a succeeded job).</summary>
    Succeeded,

    /// <summary>The target refused the work for overload (429 or 503).</summary>
    Rejected,

    /// <summary>Anything else: other statuses, failed or expired jobs, timeouts, connection errors.</summary>
    Failed,

    /// <summary>
    /// In flight when the run was stopped (Ctrl+C): the client gave up on it, so it says nothing about the target and
    /// is counted apart, neither sent nor failed.
    /// </summary>
    Cancelled,
}
