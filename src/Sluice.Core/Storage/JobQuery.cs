using Sluice.Core.Jobs;

namespace Sluice.Core.Storage;

/// <summary>Filter for listing jobs, newest first.</summary>
public sealed record JobQuery
{
    public string? Owner { get; init; }
    public JobStatus? Status { get; init; }
    public string? Model { get; init; }

    /// <summary>Only jobs with an id lower than this (keyset pagination).</summary>
    public string? Before { get; init; }
    public int Limit { get; init; } = 50;
}
