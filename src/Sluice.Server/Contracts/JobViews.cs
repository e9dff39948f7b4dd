using System.Text.Json;
using Sluice.Core.Jobs;

namespace Sluice.Server.Contracts;

/// <summary>Maps stored job records to API views.</summary>
internal static class JobViews
{
    public static JobView From(JobRecord r) => new()
    {
        Id = r.Id,
        Model = r.Model,
        ModelVersion = r.ModelVersion,
        Status = r.Status.ToWire(),
        Priority = r.Priority.ToWire(),
        CreatedAt = r.CreatedAt,
        StartedAt = r.StartedAt,
        CompletedAt = r.CompletedAt,
        Deadline = r.Deadline,
        Attempts = r.Attempts,
        MaxAttempts = r.MaxAttempts,
        // The run figures are stored when a job ends; a job back in the queue (requeued from the dead letters) still has
        // those of its dead run, which are not its own, so only a finished job shows them.
        QueuedMs = r.Status.IsTerminal() && r.QueuedMs is { } q ? Math.Round(q, 3) : null,
        RunMs = r.Status.IsTerminal() && r.RunMs is { } m ? Math.Round(m, 3) : null,
        BatchSize = r.Status.IsTerminal() ? r.BatchSize : null,
        Cached = r.Status == JobStatus.Succeeded && r.BatchSize == 0,
        Result = r.ResultJson is null ? null : Parse(r.ResultJson),
        Error = r.Status == JobStatus.Succeeded ? null : r.Error,
        ErrorCode = r.Status == JobStatus.Succeeded ? null : r.ErrorCode,
        RetryAfterMs = r.Status != JobStatus.Succeeded && r.RetryAfter is { } wait ? (long)Math.Ceiling(wait.TotalMilliseconds) : null,
        TraceParent = r.TraceParent,
        Links = Links(r.Id),
    };

    public static JobLinks Links(string id) => new($"/v1/jobs/{id}", $"/v1/jobs/{id}/events", $"/v1/jobs/{id}/ws");

    private static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }
}
