namespace Sluice.Core.Scheduling;

/// <summary>What this process does (section <c>Sluice</c>): <c>all</c> (default), <c>gateway</c> or <c>worker</c>.</summary>
public sealed class SchedulingOptions
{
    /// <summary>all: API and models; gateway: API only; worker: models only.</summary>
    public string Role { get; set; } = "all";

    public bool RunsModels => Role is "all" or "worker";

    public bool ServesApi => Role is "all" or "gateway";
}
