namespace Sluice.Core.Jobs;

/// <summary>
/// Why a job failed, as a stable machine-readable code (the job's <c>error_code</c>, kept beside its human-readable
/// <c>error</c>): a closed set, so clients and Sluice's own HTTP answers decide on it instead of parsing the text.
/// Null on a job that has not failed, and on one stored before codes were kept (unknown).
/// </summary>
public static class JobErrorCodes
{
    /// <summary>The upstream refused the request itself as invalid (it answered 400, 413 or 422): the client's to fix.</summary>
    public const string UpstreamRefused = "upstream_refused";

    /// <summary>The backend's open circuit refused the call (the upstream was not asked); the wait is the time to its next trial.</summary>
    public const string CircuitOpen = "circuit_open";

    /// <summary>The upstream did not take the call on (it answered 429 or 503); the wait is its <c>Retry-After</c>, if it sent one.</summary>
    public const string UpstreamUnavailable = "upstream_unavailable";

    /// <summary>The upstream did not answer in time (no response headers, or its stream stalled).</summary>
    public const string UpstreamTimeout = "upstream_timeout";

    /// <summary>Any other upstream failure: an error answer, a dropped connection, a malformed or cut-short answer.</summary>
    public const string UpstreamError = "upstream_error";

    /// <summary>The model (a local one, or the code around a remote one) failed on the job.</summary>
    public const string ModelError = "model_error";

    /// <summary>The job's input cannot run on the model (found invalid when it ran, or too large for it even alone).</summary>
    public const string InvalidInput = "invalid_input";

    /// <summary>The job's deadline passed (before it could run, while it ran, or shed as unable to finish in time).</summary>
    public const string DeadlineExceeded = "deadline_exceeded";

    /// <summary>The client cancelled the job.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The worker running the job's last allowed attempt died.</summary>
    public const string WorkerLost = "worker_lost";

    /// <summary>The queue refused the job after it was stored (it was never accepted).</summary>
    public const string QueueRejected = "queue_rejected";

    /// <summary>The job store did not answer the submit's commit (the client was answered 503): stored all the same, it ends so, never run.</summary>
    public const string StoreUnanswered = "store_unanswered";

    /// <summary>The code a job ending in <paramref name="status"/> has when its caller names none: only the statuses that say it alone.</summary>
    public static string? ForStatus(JobStatus status) => status switch
    {
        JobStatus.Expired => DeadlineExceeded,
        JobStatus.Cancelled => Cancelled,
        _ => null,
    };
}
