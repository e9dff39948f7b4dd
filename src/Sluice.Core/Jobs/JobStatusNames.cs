namespace Sluice.Core.Jobs;

/// <summary>Wire names of <see cref="JobStatus"/> and <see cref="JobPriority"/> (snake_case, allocation-free).</summary>
public static class JobStatusNames
{
    public static string ToWire(this JobStatus status) => status switch
    {
        JobStatus.Queued => "queued",
        JobStatus.Running => "running",
        JobStatus.Succeeded => "succeeded",
        JobStatus.Failed => "failed",
        JobStatus.Cancelled => "cancelled",
        JobStatus.Expired => "expired",
        JobStatus.DeadLettered => "dead_lettered",
        _ => "unknown",
    };

    public static bool TryParseStatus(string? value, out JobStatus status)
    {
        switch (value)
        {
            case "queued": status = JobStatus.Queued; return true;
            case "running": status = JobStatus.Running; return true;
            case "succeeded": status = JobStatus.Succeeded; return true;
            case "failed": status = JobStatus.Failed; return true;
            case "cancelled": status = JobStatus.Cancelled; return true;
            case "expired": status = JobStatus.Expired; return true;
            case "dead_lettered": status = JobStatus.DeadLettered; return true;
            default: status = default; return false;
        }
    }

    public static bool IsTerminal(this JobStatus status) => status >= JobStatus.Succeeded;

    public static string ToWire(this JobPriority priority) => priority switch
    {
        JobPriority.High => "high",
        JobPriority.Low => "low",
        _ => "normal",
    };

    public static bool TryParsePriority(string? value, out JobPriority priority)
    {
        switch (value)
        {
            case "high": priority = JobPriority.High; return true;
            case "normal": priority = JobPriority.Normal; return true;
            case "low": priority = JobPriority.Low; return true;
            default: priority = JobPriority.Normal; return false;
        }
    }
}
