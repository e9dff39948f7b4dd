using System.Diagnostics;
using Microsoft.Extensions.Options;
using Sluice.Core.Caching;
using Sluice.Core.Jobs;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;
using Sluice.Server.Admission;
using Sluice.Server.Contracts;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>The job API: submit, get, list, cancel, and follow a job's events over SSE or WebSocket.</summary>
internal static class JobsApi
{
    private const string EventStreamFormat = "Server-Sent Events: 'id: N', 'event: TYPE' (queued, started, progress, delta, retrying, rerouted, "
        + "then one of completed, failed, cancelled, expired, dead_lettered) and 'data: {JSON}' per event; ': keep-alive' comments every 15 s while idle; "
        + "a connection whose data stays unacknowledged for two keep-alive intervals (a client that vanished) is aborted (Linux, HTTP/1.1); "
        + "an HTTP/2 connection silent for an interval is pinged and closed when no answer comes within another.";

    public static RouteGroupBuilder MapJobsApi(this RouteGroupBuilder v1)
    {
        var jobs = v1.MapGroup("/jobs").WithTags("Jobs");
        jobs.MapPost("/", SubmitAsync)
            .WithName("SubmitJob")
            .WithSummary("Submit a job; 202 with its id, or the finished job inline with 'Prefer: wait=N'.")
            .DocumentsJsonBody<SubmitJobBody>()
            .DocumentsParameters(ApiDocs.Submit)
            .Produces<JobView>(StatusCodes.Status202Accepted)
            .Produces<JobView>(StatusCodes.Status200OK)
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422).ProducesProblem(429).ProducesProblem(503)
            .DocumentsResponseHeaders([200, 202], ApiDocs.SubmitAnswer);
        // Every lookup below reads the job store: 503 while it is unreachable (UnavailableExceptionHandler).
        jobs.MapGetAndHead("/", ListAsync).WithName("ListJobs").WithSummary("List this key's jobs, newest first.")
            .DocumentsParameters(ApiDocs.Status, ApiDocs.Model, ApiDocs.Limit(50), ApiDocs.Before)
            .Produces<JobList>().ProducesProblem(400).ProducesProblem(503);
        jobs.MapGetAndHead("/{id}", GetAsync).WithName("GetJob").WithSummary("A job with its status, timings and result, or why it failed (error, error_code, retry_after_ms).")
            .WithDescription("404 for a job that does not exist, is another key's, or finished (succeeded, failed, cancelled, expired) longer ago than the store's JobRetention (default 7 days) and was deleted with its events.")
            .Produces<JobView>().ProducesProblem(404).ProducesProblem(503);
        jobs.MapDelete("/{id}", CancelAsync).WithName("CancelJob").WithSummary("Cancel a job: a queued job never runs; a running generative job stops at its next step.")
            .Produces<JobView>().ProducesProblem(404).ProducesProblem(409).ProducesProblem(503);
        jobs.MapGet("/{id}/events", EventsAsync).WithName("JobEvents")
            .WithSummary("Server-Sent Events of a job (resumable with Last-Event-ID; ?cancel_on_disconnect=true).")
            .DocumentsParameters(ApiDocs.LastEventIdHeader, ApiDocs.LastEventIdQuery, ApiDocs.CancelOnDisconnect, ApiDocs.StreamToken)
            .WithMetadata(StreamTokenAccepted.Instance)
            .DocumentsEventStream(EventStreamFormat).Produces(200).Produces(204).ProducesProblem(400).ProducesProblem(403).ProducesProblem(404).ProducesProblem(503);
        jobs.MapGet("/{id}/ws", WebSocketAsync).WithName("JobEventsWebSocket").WithSummary("The job's events over WebSocket.")
            .WithDescription(ApiDocs.WebSocketMessages)
            .DocumentsParameters(ApiDocs.WebSocketUpgrade, ApiDocs.LastEventIdHeader, ApiDocs.LastEventIdQuery, ApiDocs.CancelOnDisconnect, ApiDocs.StreamToken)
            .WithMetadata(StreamTokenAccepted.Instance)
            .Produces(StatusCodes.Status101SwitchingProtocols).ProducesProblem(400).ProducesProblem(403).ProducesProblem(404).ProducesProblem(503)
            .DocumentsResponseHeaders([101], ApiDocs.WebSocketAccepted);
        // A WebSocket over HTTP/2 (RFC 8441) is an extended CONNECT, not a GET: the same handler, left out of the
        // document (OpenAPI 3.1 has no CONNECT operation; the GET above describes the endpoint).
        jobs.MapMethods("/{id}/ws", [HttpMethods.Connect], WebSocketAsync).WithName("JobEventsWebSocketConnect").WithMetadata(StreamTokenAccepted.Instance).ExcludeFromDescription()
            .DocumentsParameters(ApiDocs.LastEventIdQuery, ApiDocs.CancelOnDisconnect, ApiDocs.StreamToken);
        return v1;
    }

    internal static async Task<IResult> SubmitAsync(HttpContext http, JobService jobs, IOptions<HttpOptions> options)
    {
        var (doc, error) = await JsonBody.ReadAsync(http, options.Value).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        using (doc)
        {
            if (!SubmitParser.TryParse(doc!.RootElement, out var body, out error))
            {
                return error!;
            }

            if (!TryReadCommonHeaders(http, options.Value, out var idempotencyKey, out var wait, out error))
            {
                return error!;
            }

            var caller = AdmissionFilter.CallerOf(http);
            var outcome = await jobs.SubmitAsync(new SubmitRequest
            {
                Model = body.Model,
                Input = body.Input,
                Priority = body.Priority,
                DeadlineMs = body.DeadlineMs,
                Owner = caller.Id,
                IdempotencyKey = idempotencyKey,
                BodyHash = idempotencyKey is null ? null : CacheKeys.BodyHash("POST /v1/jobs", doc.RootElement, SubmitParser.NullableFields),
                HashedBody = doc.RootElement,
                HashedNullFields = SubmitParser.NullableFields,
                TraceParent = TraceParent(http),
                UseCache = body.UseCache,
            }, http.RequestAborted).ConfigureAwait(false);
            return await JobResponses.FromOutcomeAsync(http, jobs, outcome, wait).ConfigureAwait(false);
        }
    }

    /// <summary>Reads <c>Idempotency-Key</c> and <c>Prefer: wait</c>, shared by every submitting endpoint.</summary>
    internal static bool TryReadCommonHeaders(HttpContext http, HttpOptions options, out string? idempotencyKey, out int wait, out IResult? error)
    {
        error = null;
        idempotencyKey = null;
        wait = Math.Min(SubmitParser.PreferWait(http.Request), options.MaxWaitSeconds);
        var key = http.Request.Headers["Idempotency-Key"];
        if (key.Count > 0)
        {
            idempotencyKey = key.ToString();
            if (key.Count > 1 || !SubmitParser.IsValidIdempotencyKey(idempotencyKey))
            {
                error = Problems.BadRequest("Idempotency-Key", "must be one value of 1–255 visible ASCII characters (no spaces)");
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The request's server span when a tracer records it (it continues the caller's <c>traceparent</c>, so the job's
    /// queue and run spans become its children); else the caller's valid <c>traceparent</c>, else the current activity's.
    /// </summary>
    internal static string? TraceParent(HttpContext http)
    {
        if (Activity.Current is { } current && current.Source.HasListeners() && current.IdFormat == ActivityIdFormat.W3C)
        {
            return current.Id;
        }

        var tp = http.Request.Headers["traceparent"].ToString();
        return SubmitParser.IsValidTraceParent(tp) ? tp : Activity.Current?.Id;
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, JobService jobs)
    {
        var job = await JobResponses.GetOwnedAsync(jobs, http, id).ConfigureAwait(false);
        return job is null ? JobResponses.JobNotFound(id) : TypedResults.Ok(JobResponses.WithStreamToken(http, JobViews.From(job)));
    }

    private static async Task<IResult> ListAsync(HttpContext http, JobService jobs) =>
        JobListing.TryParse(http.Request.Query, defaultLimit: 50, status: null, out var query, out var limit, out var error)
            ? await JobListing.ListAsync(http, jobs, query, limit).ConfigureAwait(false)
            : error!;

    private static async Task<IResult> CancelAsync(string id, HttpContext http, JobService jobs)
    {
        var job = await JobResponses.GetOwnedAsync(jobs, http, id).ConfigureAwait(false);
        if (job is null)
        {
            return JobResponses.JobNotFound(id);
        }

        if (job.Status.IsTerminal())
        {
            return Problems.Create(409, "Job already finished", $"job '{id}' is {job.Status.ToWire()} and cannot be cancelled", "id", "job-finished");
        }

        var after = await jobs.CancelAsync(id, http.RequestAborted).ConfigureAwait(false);
        return TypedResults.Ok(JobViews.From(after ?? job));
    }

    private static async Task<IResult> EventsAsync(string id, HttpContext http, JobService jobs, IOptions<HttpOptions> options)
    {
        if (!EventStreaming.TryReadStreamOptions(http.Request, out var afterId, out var cancelOnDisconnect, out var error))
        {
            return error;
        }

        var job = await JobResponses.GetOwnedAsync(jobs, http, id).ConfigureAwait(false);
        if (job is null)
        {
            return JobResponses.JobNotFound(id);
        }

        if (await EventStreaming.HasSeenEndAsync(jobs, job, afterId, http.RequestAborted).ConfigureAwait(false))
        {
            // An EventSource reconnects whenever a stream ends; 204 is the one answer that makes it stop.
            return TypedResults.NoContent();
        }

        await EventStreaming.StreamSseAsync(http, jobs, job, afterId, TimeSpan.FromSeconds(options.Value.KeepAliveSeconds), cancelOnDisconnect).ConfigureAwait(false);
        return TypedResults.Empty;
    }

    /// <summary>Retry-After of a WebSocket refused for the upgraded-connection limit: streams last as long as their jobs.</summary>
    private static readonly TimeSpan UpgradeRetryAfter = TimeSpan.FromSeconds(5);

    private static async Task<IResult> WebSocketAsync(string id, HttpContext http, JobService jobs, IOptions<HttpOptions> options)
    {
        // Parameters first, so a bad one is named whatever the request is (as on the SSE endpoint).
        if (!EventStreaming.TryReadStreamOptions(http.Request, out var afterId, out var cancelOnDisconnect, out var error))
        {
            return error;
        }

        if (!http.WebSockets.IsWebSocketRequest)
        {
            return Problems.Create(400, "WebSocket required", "connect with a WebSocket upgrade request", "Upgrade");
        }

        var job = await JobResponses.GetOwnedAsync(jobs, http, id).ConfigureAwait(false);
        if (job is null)
        {
            return JobResponses.JobNotFound(id);
        }

        if (!await EventStreaming.StreamWebSocketAsync(http, jobs, job, afterId, TimeSpan.FromSeconds(options.Value.KeepAliveSeconds), cancelOnDisconnect).ConfigureAwait(false))
        {
            JobResponses.SetRetryAfter(http, UpgradeRetryAfter);
            return Problems.Create(503, "Service unavailable",
                "the server has as many WebSocket connections open as Sluice:Http:MaxConcurrentUpgradedConnections allows; retry later or read the events as SSE (GET /v1/jobs/{id}/events)",
                type: "unavailable");
        }

        return TypedResults.Empty;
    }
}
