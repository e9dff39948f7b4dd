namespace Sluice.Server.Contracts;

/// <summary>A page of jobs, newest first; pass <see cref="Next"/> as <c>before</c> for the next page.</summary>
public sealed record JobList(IReadOnlyList<JobView> Data, bool HasMore, string? Next)
{
    public string Object => "list";
}
