namespace Sluice.Core.Jobs;

/// <summary>Priority lane; lower value is served first (aging keeps <see cref="Low"/> from starving).</summary>
public enum JobPriority
{
    High = 0,
    Normal = 1,
    Low = 2,
}
