using System.Globalization;
using Sluice.Core.Jobs;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;
using Sluice.Server.Admission;
using Sluice.Server.Contracts;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>The paged listings <c>GET /v1/jobs</c> and <c>GET /v1/dead-letters</c>: one query syntax, one paging rule.</summary>
internal static class JobListing
{
    public const int MaxLimit = 1000;

    /// <summary>
    /// Reads <c>limit</c>, <c>before</c>, <c>model</c> and, when <paramref name="status"/> is null, <c>status</c>;
    /// a listing with a fixed <paramref name="status"/> (dead letters) takes no <c>status</c> parameter.
    /// </summary>
    public static bool TryParse(IQueryCollection q, int defaultLimit, JobStatus? status, out JobQuery query, out int limit, out IResult? error)
    {
        query = null!;
        error = null;
        limit = defaultLimit;
        if (status is null && q.TryGetValue("status", out var s))
        {
            if (!JobStatusNames.TryParseStatus(s.ToString(), out var parsed))
            {
                error = Problems.BadRequest("status", "must be one of queued, running, succeeded, failed, cancelled, expired, dead_lettered");
                return false;
            }

            status = parsed;
        }

        if (q.TryGetValue("limit", out var l) && (!int.TryParse(l.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxLimit))
        {
            error = Problems.BadRequest("limit", $"must be an integer from 1 to {MaxLimit}");
            return false;
        }

        string? before = null;
        if (q.TryGetValue("before", out var b))
        {
            before = b.ToString();
            if (!JobIds.IsWellFormed(before))
            {
                error = Problems.BadRequest("before", "must be a job id");
                return false;
            }
        }

        string? model = null;
        if (q.TryGetValue("model", out var m))
        {
            model = m.ToString();
            if (!SubmitParser.IsValidModelName(model))
            {
                error = Problems.BadRequest("model", "is not a valid model name");
                return false;
            }
        }

        // One row more than the page tells whether another page follows.
        query = new JobQuery { Status = status, Model = model, Before = before, Limit = limit + 1 };
        return true;
    }

    /// <summary>The caller's page: <c>has_more</c> and <c>next</c> (the <c>before</c> of the next page) when more follow.</summary>
    public static async Task<IResult> ListAsync(HttpContext http, JobService jobs, JobQuery query, int limit)
    {
        var caller = AdmissionFilter.CallerOf(http);
        var page = await jobs.Store.ListAsync(query with { Owner = caller.Id }, http.RequestAborted).ConfigureAwait(false);
        var hasMore = page.Count > limit;
        var views = new List<JobView>(Math.Min(page.Count, limit));
        for (var i = 0; i < page.Count && i < limit; i++)
        {
            views.Add(JobViews.From(page[i]));
        }

        return TypedResults.Ok(new JobList(views, hasMore, hasMore ? views[^1].Id : null));
    }
}
