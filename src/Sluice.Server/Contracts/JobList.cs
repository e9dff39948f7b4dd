namespace Sluice.Server.Contracts;

/// <summary>A page of jobs, newest first; pass <c>next</c> as <c>before</c> for the next page.</summary>
public sealed record JobList(IReadOnlyList<JobView> Data, bool HasMore, string? Next)
{
    public string Object => "list";
}
