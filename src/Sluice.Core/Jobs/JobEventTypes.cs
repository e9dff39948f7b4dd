namespace Sluice.Core.Jobs;

/// <summary>Event type names of the SSE/WebSocket stream.</summary>
public static class JobEventTypes
{
    public const string Queued = "queued";
    public const string Started = "started";
    public const string Progress = "progress";
    public const string Delta = "delta";
    public const string Retrying = "retrying";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string Expired = "expired";
    public const string DeadLettered = "dead_lettered";

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
