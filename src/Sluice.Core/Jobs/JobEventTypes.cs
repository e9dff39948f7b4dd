namespace Sluice.Core.Jobs;

/// <summary>Event type names of the SSE/WebSocket stream.</summary>
public static class JobEventTypes
{
    public const string Queued = "queued";
    public const string Started = "started";
    public const string Progress = "progress";
    public const string Delta = "delta";
    public const string Retrying = "retrying";

    /// <summary>The job moved to its model's fallback before running, or after its upstream's <c>Retry-After</c> turned an attempt away (data: <c>from</c>, <c>to</c>, <c>reason</c>).</summary>
    public const string Rerouted = "rerouted";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string Expired = "expired";
    public const string DeadLettered = "dead_lettered";

    /// <summary>True for an event type that ends a stream (clients that read the stream use this list too).</summary>
    public static bool IsTerminal(string type) => type is Completed or Failed or Cancelled or Expired or DeadLettered;

    /// <summary>The terminal event type for a terminal status.</summary>
    public static string ForStatus(JobStatus status) => status switch
    {
        JobStatus.Succeeded => Completed,
        JobStatus.Failed => Failed,
        JobStatus.Cancelled => Cancelled,
        JobStatus.Expired => Expired,
        JobStatus.DeadLettered => DeadLettered,
        JobStatus.Running => Started,
        _ => Queued,
    };
}
