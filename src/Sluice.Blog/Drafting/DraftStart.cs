namespace Sluice.Blog.Drafting;

/// <summary>
/// What Sluice answered to a draft: the job's id, or a refusal to pass on as a problem (the status for the browser,
/// the blog form's field when the input was at fault, Sluice's detail, and its Retry-After when it is busy).
/// </summary>
internal sealed record DraftStart(string? JobId, int Status, string? Field, string? Detail, string? RetryAfter)
{
    public static DraftStart Started(string jobId) => new(jobId, StatusCodes.Status202Accepted, null, null, null);
}
