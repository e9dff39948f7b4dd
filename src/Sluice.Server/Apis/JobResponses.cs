using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Sluice.Core.Jobs;
using Sluice.Core.Models;
using Sluice.Core.Scheduling;
using Sluice.Server.Contracts;
using Sluice.Server.Hosting;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>Turns a submission outcome into its HTTP answer (shared by the jobs, essays and task endpoints).</summary>
internal static class JobResponses
{
    public static async Task<IResult> FromOutcomeAsync(HttpContext http, JobService jobs, SubmitOutcome outcome, int waitSeconds)
    {
        switch (outcome.Status)
        {
            case SubmitStatus.Accepted:
            case SubmitStatus.Replayed:
            case SubmitStatus.CacheHit:
                var job = outcome.Job!;
                if (outcome.Status == SubmitStatus.Replayed)
                {
                    http.Response.Headers["Idempotent-Replayed"] = "true";
                }

                http.Response.Headers.Location = $"/v1/jobs/{job.Id}";
                if (!job.Status.IsTerminal() && waitSeconds > 0)
                {
                    http.Response.Headers["Preference-Applied"] = "wait=" + waitSeconds.ToString(CultureInfo.InvariantCulture);
                    // A replay waits on a job an earlier request created and its client may still want: only the
                    // request that created the job cancels it by going away.
                    var cancelOnDisconnect = outcome.Status == SubmitStatus.Accepted;
                    var stopping = http.RequestServices.GetRequiredService<ShutdownReadiness>().ListenersClosing;
                    job = await JobWaiter.WaitAsync(jobs, job, TimeSpan.FromSeconds(waitSeconds), http.RequestAborted, cancelOnDisconnect, stopping).ConfigureAwait(false) ?? job;
                    if (job.Model != outcome.Job!.Model && http.Response.Headers.ContainsKey("X-Sluice-Model"))
                    {
                        // A task moved to its fallback while queued: the headers, not sent yet, name where it ran.
                        http.Response.Headers["X-Sluice-Model"] = job.Model;
                        if (!http.Response.Headers.ContainsKey("X-Sluice-Fallback"))
                        {
                            http.Response.Headers["X-Sluice-Fallback"] = $"{outcome.Job.Model}; rerouted while queued (see the job's rerouted event)";
                        }
                    }
                }

                var view = WithStreamToken(http, JobViews.From(job));
                return job.Status.IsTerminal() ? TypedResults.Ok(view) : TypedResults.Accepted(view.Links.Self, view);
            case SubmitStatus.UnknownModel:
                return Problems.Create(404, "Unknown model", "no model with that name; see GET /v1/models", "model", "unknown-model");
            case SubmitStatus.InvalidInput:
                return Problems.BadRequest(outcome.Error.Field, outcome.Error.Message);
            case SubmitStatus.IdempotencyMismatch:
                return Problems.Create(422, "Idempotency key reused", outcome.Detail ?? "key reused with a different body", "Idempotency-Key", "idempotency-mismatch");
            case SubmitStatus.QueueFull:
                SetRetryAfter(http, outcome.RetryAfter);
                return Problems.Create(429, "Queue full", outcome.Detail ?? "the model's queue is full; retry later", type: "queue-full");
            case SubmitStatus.ModelUnavailable:
                SetRetryAfter(http, outcome.RetryAfter);
                return Problems.Create(503, "Model unavailable", outcome.Detail ?? "the model is not ready", "model", "model-unavailable");
            default:
                SetRetryAfter(http, outcome.RetryAfter);
                return Problems.Create(503, "Service unavailable", outcome.Detail ?? "try again later", type: "unavailable");
        }
    }

    /// <summary>The view with a stream token for its job, issued to the key of this request (none without keys).</summary>
    public static JobView WithStreamToken(HttpContext http, JobView view)
    {
        var tokens = http.RequestServices.GetRequiredService<Admission.StreamTokens>();
        if (!tokens.Enabled || tokens.Issue(view.Id, Admission.AdmissionFilter.CallerOf(http), out var expiresAt) is not { } token)
        {
            return view;
        }

        return view with { StreamToken = token, StreamTokenExpiresAt = expiresAt };
    }

    public static void SetRetryAfter(HttpContext http, TimeSpan retryAfter) =>
        http.Response.Headers.RetryAfter = Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>The job if it exists and the caller owns it (others' jobs look absent).</summary>
    public static async Task<JobRecord?> GetOwnedAsync(JobService jobs, HttpContext http, string id)
    {
        if (!JobIds.IsWellFormed(id))
        {
            return null;
        }

        var job = await jobs.Store.GetAsync(id, http.RequestAborted).ConfigureAwait(false);
        var caller = Admission.AdmissionFilter.CallerOf(http);
        return job is not null && job.Owner == caller.Id ? job : null;
    }

    /// <summary>The 404 for a job id; an id longer than any job's is cut short, so a long path is not echoed back whole.</summary>
    public static ProblemHttpResult JobNotFound(string id) =>
        Problems.Create(404, "Job not found", $"no job '{ClientText.Echo(id)}' visible to this key", "id", "job-not-found");
}
