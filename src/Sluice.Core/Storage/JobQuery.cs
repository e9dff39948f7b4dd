using Sluice.Core.Jobs;

namespace Sluice.Core.Storage;

/// <summary>Filter for listing jobs, newest first.</summary>
public sealed record JobQuery
{
    /// <summary>Most rows one query returns: the API's largest page (1000) plus the row that tells whether more follow.</summary>
    public const int MaxLimit = 1001;

    public string? Owner { get; init; }
    public JobStatus? Status { get; init; }
    public string? Model { get; init; }

    /// <summary>Only jobs with an id lower than this (keyset pagination).</summary>
    public string? Before { get; init; }
    public int Limit { get; init; } = 50;
}
