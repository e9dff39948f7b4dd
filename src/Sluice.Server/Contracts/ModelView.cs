namespace Sluice.Server.Contracts;

/// <summary>A model as <c>GET /v1/models</c> shows it (a superset of OpenAI's model object).</summary>
public sealed record ModelView
{
    public required string Id { get; init; }
    public string Object => "model";
    public long Created { get; init; }
    public string OwnedBy { get; init; } = "sluice";
    public required string Version { get; init; }

    /// <summary>batch or generative.</summary>
    public required string Kind { get; init; }

    /// <summary>loading, warming, ready or failed.</summary>
    public required string State { get; init; }
    public string? Error { get; init; }
    public bool Deterministic { get; init; }
    public string? Description { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    public required SchedulerView Scheduler { get; init; }
    public required QueueView Queue { get; init; }
}
