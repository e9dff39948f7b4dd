namespace Sluice.Core.Jobs;

/// <summary>Where a job is in its life; the last four are terminal.</summary>
public enum JobStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Expired,
    DeadLettered,
}
