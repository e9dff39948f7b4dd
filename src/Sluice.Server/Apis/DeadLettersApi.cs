using Sluice.Core.Jobs;
using Sluice.Core.Models;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;
using Sluice.Server.Admission;
using Sluice.Server.Contracts;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>Dead letters: jobs that exhausted their attempts, with their last error; requeue puts one back.</summary>
internal static class DeadLettersApi
{
    public static RouteGroupBuilder MapDeadLettersApi(this RouteGroupBuilder v1)
    {
        var dl = v1.MapGroup("/dead-letters").WithTags("Dead letters");
        dl.MapGetAndHead("/", ListAsync).WithName("ListDeadLetters").WithSummary("Dead-lettered jobs of this key, newest first (limit, before and model as for GET /v1/jobs).")
            .DocumentsParameters(ApiDocs.Model, ApiDocs.Limit(100), ApiDocs.Before)
            .Produces<JobList>().ProducesProblem(400).ProducesProblem(503);
        dl.MapPost("/{id}/requeue", RequeueAsync).WithName("RequeueDeadLetter").WithSummary("Put a dead-lettered job back in its queue with a fresh attempt budget.")
            .Produces<JobView>(StatusCodes.Status202Accepted).ProducesProblem(404).ProducesProblem(409).ProducesProblem(503)
            .DocumentsResponseHeaders([202], ApiDocs.Location);
        return v1;
    }

    private static async Task<IResult> ListAsync(HttpContext http, JobService jobs) =>
        JobListing.TryParse(http.Request.Query, defaultLimit: 100, JobStatus.DeadLettered, out var query, out var limit, out var error)
            ? await JobListing.ListAsync(http, jobs, query, limit).ConfigureAwait(false)
            : error!;

    private static async Task<IResult> RequeueAsync(string id, HttpContext http, JobService jobs)
    {
        var job = await JobResponses.GetOwnedAsync(jobs, http, id).ConfigureAwait(false);
        if (job is null)
        {
            return JobResponses.JobNotFound(id);
        }

        if (job.Status != JobStatus.DeadLettered)
        {
            return Problems.Create(409, "Not dead-lettered", $"job '{id}' is {job.Status.ToWire()}", "id", "not-dead-lettered");
        }

        // A job put back for a model this server no longer serves would sit in no queue, reading "queued" for ever:
        // refused instead, and it stays a dead letter, unchanged.
        if (!jobs.Registry.TryGet(job.Model, out var model))
        {
            return Problems.Create(409, "Model not served", $"job '{id}' runs on model '{job.Model}', which this server does not serve (see GET /v1/models); it stays dead-lettered", "model", "unknown-model");
        }

        // Refused as a submit to it is (a failed model would never drain its queue): the job stays a dead letter, to be
        // requeued once the model is ready.
        if (model.State != ModelState.Ready)
        {
            JobResponses.SetRetryAfter(http, TimeSpan.FromSeconds(5));
            return Problems.Create(503, "Model unavailable", $"job '{id}' runs on model '{job.Model}', which {model.NotReadyReason}; it stays dead-lettered", "model", "model-unavailable");
        }

        var requeued = await jobs.RequeueAsync(id, http.RequestAborted).ConfigureAwait(false);
        if (requeued is null)
        {
            return Problems.Create(409, "Not dead-lettered", $"job '{id}' was requeued concurrently", "id", "not-dead-lettered");
        }

        var view = JobViews.From(requeued);
        return TypedResults.Accepted(view.Links.Self, view);
    }
}
