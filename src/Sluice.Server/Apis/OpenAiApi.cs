using System.Globalization;
using Microsoft.Extensions.Options;
using Sluice.Backends.Health;
using Sluice.Backends.Routing;
using Sluice.Backends.Streaming;
using Sluice.Core.Jobs;
using Sluice.Core.Models;
using Sluice.Core.Scheduling;
using Sluice.Server.Admission;
using Sluice.Server.Contracts;
using Sluice.Server.Hosting;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>
/// OpenAI-compatible <c>POST /v1/chat/completions</c> and <c>POST /v1/completions</c> (<c>GET /v1/models</c> is
/// <see cref="ModelsApi"/>). Each request becomes a job of the core, so it gets admission, per-key request and
/// token limits, priority lanes (<c>X-Sluice-Priority</c>), deadlines (<c>X-Sluice-Deadline-Ms</c>), the continuous
/// batcher, the result cache for deterministic requests and fallbacks; the answer is rebuilt from the job's
/// events, streamed as OpenAI chunks when <c>stream</c> is true. A client that goes away cancels its job, which
/// leaves the running batch at the next step.
/// </summary>
internal static class OpenAiApi
{
    /// <summary>max_tokens when the request gives none.</summary>
    public const int DefaultMaxTokens = 256;

    public const string PriorityHeader = "X-Sluice-Priority";
    public const string DeadlineHeader = "X-Sluice-Deadline-Ms";

    private const string ChunkStream = "With stream: true, Server-Sent Events in OpenAI's chunk format: 'data: {chunk JSON}' lines "
        + "(a role chunk, one per delta, one with finish_reason, with stream_options.include_usage one with usage), "
        + "': keep-alive' comments whenever nothing was written for Sluice:Http:KeepAliveSeconds (15; also while queued), then 'data: [DONE]'; an error after the start is a last 'data: {\"error\": {…}}' instead.";

    public static RouteGroupBuilder MapOpenAiApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/chat/completions", ChatAsync).WithTags("OpenAI").WithName("ChatCompletions")
            .WithSummary("OpenAI-compatible chat completion (stream: true for Server-Sent Events chunks).")
            .DocumentsJsonBody<OpenAiChatBody>()
            .WithMetadata(OpenAiAdmissionErrors.Instance, AnyQueryAccepted.Instance)
            .Produces<OpenAiChatCompletion>().DocumentsEventStream(ChunkStream)
            .DocumentsOpenAiAnswers();
        v1.MapPost("/completions", CompletionsAsync).WithTags("OpenAI").WithName("Completions")
            .WithSummary("OpenAI-compatible text completion (stream: true for Server-Sent Events chunks).")
            .DocumentsJsonBody<OpenAiCompletionBody>()
            .WithMetadata(OpenAiAdmissionErrors.Instance, AnyQueryAccepted.Instance)
            .Produces<OpenAiCompletion>().DocumentsEventStream(ChunkStream)
            .DocumentsOpenAiAnswers();

        // Other methods get OpenAI's error shape, as OpenAI answers them, not the rest of the API's problem details:
        // an OpenAI client parses only the former. Any method (OPTIONS, TRACE …), not a list: routing's own 405 for a
        // method left out would announce the listed ones in Allow. The later order lets POST reach the handlers above.
        // Their metadata gives the admission filter's and BodyLimitMiddleware's rejections that shape too.
        v1.Map("/chat/completions", MethodNotAllowed).WithOrder(1).WithMetadata(OpenAiAdmissionErrors.Instance, AnyQueryAccepted.Instance).ExcludeFromDescription();
        v1.Map("/completions", MethodNotAllowed).WithOrder(1).WithMetadata(OpenAiAdmissionErrors.Instance, AnyQueryAccepted.Instance).ExcludeFromDescription();
        return v1;
    }

    /// <summary>
    /// What both endpoints take and answer besides their bodies: the Sluice headers, the error statuses of the
    /// errors table in docs/api.md (409: the job was cancelled; 500/502: the model or upstream failed; 503: also a remote
    /// backend's open circuit refused the job, or its upstream asked for a wait the job's retry holds to; 504: the
    /// deadline passed; 405 comes from the routes below) and the job's headers, which go out with any answer given once
    /// the job exists.
    /// </summary>
    private static RouteHandlerBuilder DocumentsOpenAiAnswers(this RouteHandlerBuilder builder) => builder
        .DocumentsParameters(ApiDocs.PriorityHeader, ApiDocs.DeadlineHeader, ApiDocs.TraceParent)
        .Produces<OpenAiErrorResponse>(400).Produces<OpenAiErrorResponse>(401).Produces<OpenAiErrorResponse>(404).Produces<OpenAiErrorResponse>(409)
        .Produces<OpenAiErrorResponse>(413).Produces<OpenAiErrorResponse>(415).Produces<OpenAiErrorResponse>(429).Produces<OpenAiErrorResponse>(500)
        .Produces<OpenAiErrorResponse>(502).Produces<OpenAiErrorResponse>(503).Produces<OpenAiErrorResponse>(504)
        .DocumentsResponseHeaders([200, 409, 500, 502, 503, 504], [ApiDocs.JobId, ApiDocs.RunsOn, ApiDocs.Fallback, .. ApiDocs.TokenLimits])
        .DocumentsResponseHeaders([429], [.. ApiDocs.TokenLimits, ApiDocs.RetryAfterMs]);

    private static IResult MethodNotAllowed(HttpContext http)
    {
        http.Response.Headers.Allow = "POST";
        return OpenAiErrors.Create(405, $"Invalid method for URL ({http.Request.Method} {http.Request.Path}); use POST", OpenAiErrorTypes.InvalidRequest, null, "method_not_allowed");
    }

    private static Task<IResult> ChatAsync(HttpContext http, JobService jobs, FallbackRouter router, IRateLimitStore limits, IOptions<HttpOptions> options, TimeProvider time) =>
        HandleAsync(http, new OpenAiServices(jobs, router, limits, options, time), chat: true);

    private static Task<IResult> CompletionsAsync(HttpContext http, JobService jobs, FallbackRouter router, IRateLimitStore limits, IOptions<HttpOptions> options, TimeProvider time) =>
        HandleAsync(http, new OpenAiServices(jobs, router, limits, options, time), chat: false);

    private static async Task<IResult> HandleAsync(HttpContext http, OpenAiServices s, bool chat)
    {
        var (doc, bodyError) = await JsonBody.ReadAsync(http, s.Http).ConfigureAwait(false);
        if (bodyError is not null)
        {
            return OpenAiErrors.FromProblem(bodyError);
        }

        OpenAiRequest request;
        using (doc)
        {
            if (!OpenAiRequestParser.TryParse(doc!.RootElement, chat, out var parsed, out var message, out var param))
            {
                return OpenAiErrors.InvalidRequest(message, param);
            }

            request = parsed;
        }

        var priority = JobPriority.Normal;
        var priorityHeader = http.Request.Headers[PriorityHeader].ToString();
        if (priorityHeader.Length > 0 && !JobStatusNames.TryParsePriority(priorityHeader, out priority))
        {
            return OpenAiErrors.InvalidRequest($"{PriorityHeader} must be high, normal or low", PriorityHeader);
        }

        int? deadlineMs = null;
        var deadlineHeader = http.Request.Headers[DeadlineHeader].ToString();
        if (deadlineHeader.Length > 0)
        {
            if (!int.TryParse(deadlineHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var d) || d is < 1 or > 86_400_000)
            {
                return OpenAiErrors.InvalidRequest($"{DeadlineHeader} must be an integer from 1 to 86400000", DeadlineHeader);
            }

            deadlineMs = d;
        }

        var caller = AdmissionFilter.CallerOf(http);
        var model = s.Router.Resolve(request.Model, out var fallbackReason, out var trial);
        try
        {
            return await SubmitAndAnswerAsync(http, s, chat, request, priority, deadlineMs, caller, model, fallbackReason).ConfigureAwait(false);
        }
        finally
        {
            // Routed as the circuit's trial call: a trial that ran has settled the claim; one this request never made
            // (refused before it was queued, cancelled, moved to the fallback) must not keep other requests away.
            trial.Release();
        }
    }

    private static async Task<IResult> SubmitAndAnswerAsync(HttpContext http, OpenAiServices s, bool chat, OpenAiRequest request, JobPriority priority, int? deadlineMs,
        Caller caller, string model, string? fallbackReason)
    {
        if (!s.Jobs.Registry.TryGet(model, out var entry))
        {
            return OpenAiErrors.ModelNotFound(request.Model);
        }

        if (entry.Kind != ModelKind.Generative)
        {
            return OpenAiErrors.InvalidRequest($"'{ClientText.Echo(model)}' is not a generative model; submit its inputs with POST /v1/jobs", "model", "model_not_supported");
        }

        if (OpenAiRequestParser.StopRoomError(request, entry.Model is IChatModel) is { } stopError)
        {
            return OpenAiErrors.InvalidRequest(stopError, "stop");
        }

        var generation = OpenAiRequestParser.ToGeneration(request, entry.Model is IChatModel, DefaultMaxTokens);
        var reserved = generation.MaxTokens;
        if (await OpenAiTokenLimits.TryReserveAsync(http, s.Limits, caller, reserved).ConfigureAwait(false) is { } limited)
        {
            return limited;
        }

        SubmitOutcome outcome;
        List<string>? tried = null;
        while (true)
        {
            outcome = await s.Jobs.SubmitAsync(new SubmitRequest
            {
                Model = model,
                Input = OpenAiRequestParser.ToInput(generation),
                Generation = generation,
                Priority = priority,
                DeadlineMs = deadlineMs,
                Owner = caller.Id,
                TraceParent = JobsApi.TraceParent(http),
                // A model with a fallback chain hands the job on if it becomes unusable while the job waits.
                FallbackAllowed = s.Router.Next(model) is not null,
            }, http.RequestAborted).ConfigureAwait(false);

            // Overloaded or unavailable right now: the fallback takes it, if there is one.
            // Never back to a model already tried: fallbacks that loop would bounce the request between them.
            if (outcome.Status is SubmitStatus.QueueFull or SubmitStatus.ModelUnavailable && s.Router.Next(model) is { } next
                && (tried ??= [request.Model, model]).Count < 5 && !tried.Contains(next)
                && s.Jobs.Registry.TryGet(next, out var nextEntry) && nextEntry.Kind == ModelKind.Generative
                && OpenAiRequestParser.StopRoomError(request, nextEntry.Model is IChatModel) is null)
            {
                tried.Add(next);
                fallbackReason ??= $"{model} is {(outcome.Status == SubmitStatus.QueueFull ? "overloaded" : "unavailable")}";
                model = next;
                entry = nextEntry;
                generation = OpenAiRequestParser.ToGeneration(request, entry.Model is IChatModel, DefaultMaxTokens);
                continue;
            }

            break;
        }

        if (outcome.Job is not { } job)
        {
            await OpenAiTokenLimits.ReturnAsync(s.Limits, caller, reserved, 0).ConfigureAwait(false);
            return Rejected(http, outcome, request, chat);
        }

        http.Response.Headers["X-Sluice-Job-Id"] = job.Id;
        http.Response.Headers["X-Sluice-Model"] = model;
        if (fallbackReason is not null && model != request.Model)
        {
            http.Response.Headers["X-Sluice-Fallback"] = $"{request.Model}; {fallbackReason}";
        }

        // A cached answer cost the model nothing: it draws nothing from the token budget (as for tasks).
        var fromCache = outcome.Status == SubmitStatus.CacheHit;
        var id = (chat ? "chatcmpl-" : "cmpl-") + job.Id;
        var created = s.Time.GetUtcNow().ToUnixTimeSeconds();
        var remote = entry.Model is IBackendModel;
        if (request.Stream)
        {
            var used = await StreamAsync(http, s.Jobs, job, request, id, created, model, chat, remote, TimeSpan.FromSeconds(s.Http.KeepAliveSeconds)).ConfigureAwait(false);
            await OpenAiTokenLimits.ReturnAsync(s.Limits, caller, reserved, fromCache ? 0 : used).ConfigureAwait(false);
            return TypedResults.Empty;
        }

        // Tokens generated count against the key even when the answer never reaches the client (it left, the
        // deadline passed, the job failed), as for a stream: otherwise leaving before the end would dodge the limit.
        var readiness = http.RequestServices.GetRequiredService<ShutdownReadiness>();
        var cutNear = readiness.CutNear;
        var (finished, generated, heldBack) = job.Status.IsTerminal()
            ? (job, 0, null)
            : await JobWaiter.WaitCountingTokensAsync(s.Jobs, job, deadlineMs is { } ms ? TimeSpan.FromMilliseconds(ms + 1000) : TimeSpan.FromHours(1), http.RequestAborted,
                cancelOnDisconnect: true, stopWhenHeldBack: true, cutNear).ConfigureAwait(false);
        if (heldBack is not null && CircuitRetry.HeldBackBy(heldBack, out var heldFor, out var heldCode) is { } heldBackBy)
        {
            // Refused by the open circuit and held back until its trial call, or held back as the upstream's Retry-After
            // asked: the client is answered now with that time, as for a job out of attempts, not after the wait. Also
            // with a Fallback: a refused job moves to a fallback that can run it rather than retry, so a held-back retry
            // means no model of the chain can (Envoy answers "no healthy upstream" 503 at once too). The job is not kept
            // for nobody: it ends failed with that refusal, not cancelled (no client asked). (An async job keeps waiting.)
            await OpenAiTokenLimits.ReturnAsync(s.Limits, caller, reserved, generated).ConfigureAwait(false);
            await s.Jobs.FailUnwaitedAsync(job.Id, heldBackBy, heldCode, heldFor, CancellationToken.None).ConfigureAwait(false);
            return HeldBack(http, s.Jobs.Registry, model, heldBackBy, heldCode, heldFor);
        }

        if (finished is null || !finished.Status.IsTerminal())
        {
            // The client left (its job was cancelled) or the wait ran out.
            await OpenAiTokenLimits.ReturnAsync(s.Limits, caller, reserved, generated).ConfigureAwait(false);
            if (finished is not null && !http.RequestAborted.IsCancellationRequested)
            {
                if (cutNear.IsCancellationRequested)
                {
                    // The server is stopping and its shutdown timeout is about to cut this connection.
                    await CancelForStopAsync(s.Jobs, job.Id, readiness.AnswerMargin, s.Time).ConfigureAwait(false);
                    return ServerStopping(http);
                }

                await s.Jobs.CancelAsync(job.Id, CancellationToken.None).ConfigureAwait(false);
                return OpenAiErrors.Create(504, "the generation did not finish in time", OpenAiErrorTypes.Timeout, null, "deadline_exceeded");
            }

            return TypedResults.Empty;
        }

        if (finished.Model != model)
        {
            // Moved to the fallback while queued (its model became unusable): the answer names the model that gave it.
            // Headers are not sent yet, so they say so too.
            // The move's own reason: a reason kept from submission would explain another model.
            fallbackReason = await RerouteReasonAsync(s.Jobs, job.Id).ConfigureAwait(false);
            model = finished.Model;
            remote = s.Jobs.Registry.TryGet(model, out var ran) && ran.Model is IBackendModel;
            http.Response.Headers["X-Sluice-Model"] = model;
            http.Response.Headers["X-Sluice-Fallback"] = $"{request.Model}; {fallbackReason}";
        }

        if (finished.Status != JobStatus.Succeeded)
        {
            await OpenAiTokenLimits.ReturnAsync(s.Limits, caller, reserved, generated).ConfigureAwait(false);
            return Failed(http, s.Jobs.Registry, finished, remote);
        }

        var result = OpenAiResult.Parse(finished.ResultJson);
        await OpenAiTokenLimits.ReturnAsync(s.Limits, caller, reserved, fromCache ? 0 : result.CompletionTokens).ConfigureAwait(false);
        var usage = new OpenAiUsage(result.PromptTokens, result.CompletionTokens, result.PromptTokens + result.CompletionTokens);
        return chat
            ? TypedResults.Json(new OpenAiChatCompletion(id, "chat.completion", created, model, [new OpenAiChatChoice(0, new OpenAiChatMessage("assistant", result.Text), result.FinishReason)], usage), OpenAiJsonContext.Default.OpenAiChatCompletion)
            : TypedResults.Json(new OpenAiCompletion(id, "text_completion", created, model, [new OpenAiCompletionChoice(0, result.Text, result.FinishReason)], usage), OpenAiJsonContext.Default.OpenAiCompletion);
    }

    /// <summary>Why a job moved to its fallback while queued, from its (stored) <c>rerouted</c> event; the rare path only.</summary>
    private static async Task<string> RerouteReasonAsync(JobService jobs, string jobId)
    {
        var events = await jobs.Store.GetEventsAsync(jobId, 0, CancellationToken.None).ConfigureAwait(false);
        for (var i = events.Count - 1; i >= 0; i--)
        {
            if (events[i].Type == JobEventTypes.Rerouted && ReroutedOf(events[i].DataJson) is { Reason: { } reason })
            {
                return reason;
            }
        }

        return "rerouted while queued";
    }

    /// <summary>The <c>to</c> and <c>reason</c> of a <c>rerouted</c> event's data.</summary>
    private static (string? To, string? Reason)? ReroutedOf(string data)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(data);
            var root = doc.RootElement;
            return (root.TryGetProperty("to", out var to) ? to.GetString() : null, root.TryGetProperty("reason", out var r) ? r.GetString() : null);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Streams the job's deltas as OpenAI chunks; returns the completion tokens used (for the token limit).
    /// A retry the model holds back (open circuit, upstream's Retry-After) ends the stream at once with its error chunk,
    /// and the job ends failed with that refusal (as for the non-streaming answer).
    /// </summary>
    private static async Task<int> StreamAsync(HttpContext http, JobService jobs, JobRecord job, OpenAiRequest request, string id, long created, string model, bool chat, bool remote, TimeSpan keepAlive)
    {
        var response = http.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        var ct = http.RequestAborted;
        // The waits also end just before a stopping server's shutdown timeout would cut the connection: the stream
        // then ends on an error chunk the client can act on (retry), not a reset; writes still watch the client only.
        var readiness = http.RequestServices.GetRequiredService<ShutdownReadiness>();
        var cutNear = readiness.CutNear;
        using var watch = CancellationTokenSource.CreateLinkedTokenSource(ct, cutNear);
        var waitCt = watch.Token;
        using var writer = new OpenAiStreamWriter(response.Body, id, created, model, chat);
        var terminal = false;
        var generated = 0;
        string? heldBack = null;
        string? heldBackCode = null;
        var heldBackFor = TimeSpan.Zero;
        CancellationTokenSource? idle = null;
        // As for the job event stream: a client that vanished acknowledges nothing, and two keep-alive intervals of
        // that abort the connection, which cancels its job below.
        var socket = UnacknowledgedSendBound.Apply(http, keepAlive);
        try
        {
            await response.StartAsync(ct).ConfigureAwait(false);
            await writer.WriteRoleAsync(ct).ConfigureAwait(false);
            if (job.Status.IsTerminal())
            {
                // Answered from the result cache: the whole text in one chunk.
                terminal = true;
                return await WriteEndAsync(writer, job.Status, job.ResultJson, job.Error, job.ErrorCode, request, remote, replay: true, ct).ConfigureAwait(false);
            }

            if (!jobs.Events.TrySubscribe(job.Id, 0, out var sub))
            {
                var done = await WaitKeepingAliveAsync(jobs, job, writer, keepAlive, ct, cutNear).ConfigureAwait(false);
                terminal = done is not null && done.Status.IsTerminal();
                if (!terminal && cutNear.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    await WriteStoppingAsync(writer, ct).ConfigureAwait(false);
                    return 0;
                }

                if (done is not null && done.Model != model)
                {
                    writer.Model = done.Model;
                    remote = jobs.Registry.TryGet(done.Model, out var ran) && ran.Model is IBackendModel;
                }

                return done is null ? 0 : await WriteEndAsync(writer, done.Status, done.ResultJson, done.Error, done.ErrorCode, request, remote, replay: true, ct).ConfigureAwait(false);
            }

            var restarts = new RestartedRunFilter();
            idle = CancellationTokenSource.CreateLinkedTokenSource(waitCt);
            using (sub)
            {
                while (true)
                {
                    // A model that is queued, prefilling or waiting on a slow upstream sends nothing for a while: a
                    // keep-alive comment then stops proxies and load balancers from closing the idle stream. Timed from
                    // the last write, not the last event: events that write nothing (a retrying job's) must not defer it.
                    var untilKeepAlive = keepAlive - writer.SinceLastWrite;
                    if (untilKeepAlive <= TimeSpan.Zero)
                    {
                        await writer.WriteKeepAliveAsync(ct).ConfigureAwait(false);
                        continue;
                    }

                    idle.CancelAfter(untilKeepAlive);
                    bool more;
                    try
                    {
                        more = await sub.Reader.WaitToReadAsync(idle.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!waitCt.IsCancellationRequested)
                    {
                        idle.Dispose();
                        idle = CancellationTokenSource.CreateLinkedTokenSource(waitCt);
                        continue;
                    }

                    if (!more)
                    {
                        // The stream ended with no terminal event: another process stored the outcome (a cancel through
                        // another gateway, a redelivered copy that finished first). The client still gets its end.
                        var done = await WaitKeepingAliveAsync(jobs, job, writer, keepAlive, ct, cutNear).ConfigureAwait(false);
                        if (done is null || !done.Status.IsTerminal())
                        {
                            if (done is not null && cutNear.IsCancellationRequested && !ct.IsCancellationRequested)
                            {
                                await WriteStoppingAsync(writer, ct).ConfigureAwait(false);
                            }

                            return generated;
                        }

                        terminal = true;
                        if (done.Status == JobStatus.Succeeded)
                        {
                            // Its text may come from the other run: only what goes beyond what the client has is sent,
                            // and text that disagrees with it cannot complete the client's copy truthfully.
                            var text = OpenAiResult.Parse(done.ResultJson).Text;
                            restarts.OnWholeRun();
                            if (text.Length < restarts.SentLength || !restarts.TryFilter(text, out var rest))
                            {
                                await writer.WriteErrorAsync("the generation was restarted after a worker failure and produced different text; retry the request", OpenAiErrorTypes.Server, "generation_restarted", ct).ConfigureAwait(false);
                                return generated;
                            }

                            if (rest.Length > 0)
                            {
                                await writer.WriteDeltaAsync(rest, ct).ConfigureAwait(false);
                            }
                        }

                        return Math.Max(generated, await WriteEndAsync(writer, done.Status, done.ResultJson, done.Error, done.ErrorCode, request, remote, replay: false, ct).ConfigureAwait(false));
                    }

                    while (sub.Reader.TryRead(out var e))
                    {
                        switch (e.Type)
                        {
                            case JobEventTypes.Started:
                                restarts.OnStarted();
                                break;
                            case JobEventTypes.Retrying when CircuitRetry.HeldBackBy(e, out var heldFor, out var heldCode) is { } refusal:
                                // Answered as a job out of attempts would be; terminal stays false, so the job ends
                                // below (failed with the refusal): nobody waits for its retry.
                                heldBack = refusal;
                                heldBackCode = heldCode;
                                heldBackFor = heldFor;
                                await writer.WriteErrorAsync(refusal, OpenAiErrorTypes.Server, "model_unavailable", ct).ConfigureAwait(false);
                                return generated;
                            case JobEventTypes.Rerouted:
                                // Moved to the fallback while queued (nothing was written for it yet): the headers are
                                // out, so the chunks from here name the model that answers, and a comment says why.
                                if (ReroutedOf(e.DataJson) is { To: { } to } moved)
                                {
                                    writer.Model = to;
                                    remote = jobs.Registry.TryGet(to, out var ran) && ran.Model is IBackendModel;
                                    await writer.WriteCommentAsync($"rerouted to {to}: {moved.Reason}", ct).ConfigureAwait(false);
                                }

                                break;
                            case JobEventTypes.Delta:
                                var text = OpenAiResult.ReadDeltaText(e.DataJson, out var tokens);
                                generated += tokens;
                                if (!restarts.TryFilter(text, out var part))
                                {
                                    // A worker died mid-stream and the rerun wrote other text: the client's copy cannot be
                                    // completed truthfully. terminal stays false, so the job is cancelled below.
                                    await writer.WriteErrorAsync("the generation was restarted after a worker failure and produced different text; retry the request", OpenAiErrorTypes.Server, "generation_restarted", ct).ConfigureAwait(false);
                                    return generated;
                                }

                                if (part.Length > 0)
                                {
                                    await writer.WriteDeltaAsync(part, ct).ConfigureAwait(false);
                                }

                                break;
                            case JobEventTypes.Completed:
                                terminal = true;
                                return await WriteEndAsync(writer, JobStatus.Succeeded, ResultOf(e.DataJson), null, null, request, remote, replay: false, ct).ConfigureAwait(false);
                            default:
                                if (e.IsTerminal)
                                {
                                    terminal = true;
                                    var status = JobStatusNames.TryParseStatus(StatusOf(e.Type), out var st) ? st : JobStatus.Failed;
                                    var error = OpenAiResult.ErrorOf(e.DataJson, out var errorCode);
                                    return await WriteEndAsync(writer, status, null, error, errorCode, request, remote, replay: false, ct).ConfigureAwait(false);
                                }

                                break;
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cutNear.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            await WriteStoppingAsync(writer, ct).ConfigureAwait(false);
            return generated;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // What was generated before the client left stays spent.
            return generated;
        }
        finally
        {
            idle?.Dispose();
            UnacknowledgedSendBound.Clear(socket);
            if (heldBack is not null)
            {
                await jobs.FailUnwaitedAsync(job.Id, heldBack, heldBackCode, heldBackFor, CancellationToken.None).ConfigureAwait(false);
            }
            else if (!terminal && cutNear.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                // The server is stopping and ended the stream: its job is not handed back (see ServerStopping).
                await CancelForStopAsync(jobs, job.Id, readiness.AnswerMargin, http.RequestServices.GetRequiredService<TimeProvider>()).ConfigureAwait(false);
            }
            else if (!terminal)
            {
                // The client went away mid-stream: stop generating for nobody; the slot frees at the next step.
                await jobs.CancelAsync(job.Id, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// <see cref="JobWaiter.WaitAsync"/> for the job's outcome, with keep-alives at the interval meanwhile: a job still
    /// queued, or run by another process, may take long, and a silent stream is closed by proxies.
    /// </summary>
    private static async Task<JobRecord?> WaitKeepingAliveAsync(JobService jobs, JobRecord job, OpenAiStreamWriter writer, TimeSpan keepAlive, CancellationToken ct, CancellationToken cutNear)
    {
        var wait = JobWaiter.WaitAsync(jobs, job, TimeSpan.FromHours(1), ct, cancelOnDisconnect: true, cutNear);
        while (!wait.IsCompleted)
        {
            var untilKeepAlive = keepAlive - writer.SinceLastWrite;
            if (untilKeepAlive <= TimeSpan.Zero)
            {
                await writer.WriteKeepAliveAsync(ct).ConfigureAwait(false);
                continue;
            }

            // A client that leaves ends the wait itself (the job is cancelled there): the timeout does not watch ct. A
            // timed WaitAsync drops its timer when the wait ends first (a Task.Delay raced with WhenAny lived on).
            await ((Task)wait).WaitAsync(untilKeepAlive).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return await wait.ConfigureAwait(false);
    }

    /// <summary>
    /// The end of a stream the stopping server cannot finish before its shutdown timeout: an error chunk, as a stream
    /// ends on any other error once it has started (no <c>[DONE]</c> follows an error).
    /// </summary>
    private static async Task WriteStoppingAsync(OpenAiStreamWriter writer, CancellationToken ct)
    {
        try
        {
            await writer.WriteErrorAsync(StoppingMessage, OpenAiErrorTypes.Server, "server_stopping", ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client left meanwhile: nobody to tell.
        }
    }

    private const string StoppingMessage = "the server is stopping and could not finish this generation before its shutdown timeout; retry the request";

    /// <summary>
    /// Cancels the job of a call the stopping server answers. The wait for the batcher to stop it at its next step
    /// (up to <see cref="JobService.CancelWait"/>) is cut to half of the <paramref name="answerMargin"/> left before the
    /// cut, or a slow step would hold the answer past it: the cancel is then stored as it stands.
    /// </summary>
    private static async Task CancelForStopAsync(JobService jobs, string jobId, TimeSpan answerMargin, TimeProvider time)
    {
        using var bound = new CancellationTokenSource(answerMargin / 2, time);
        try
        {
            await jobs.CancelAsync(jobId, bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            // Stored by the cancel itself (see JobService.CancelAsync): the run ends at its next step.
        }
    }

    /// <summary>
    /// The non-streamed answer when the server is stopping and the generation cannot finish before its shutdown
    /// timeout cuts the connection: 503 with <c>Retry-After</c>, in OpenAI's shape. Its job is cancelled, not handed
    /// back as a job of <c>/v1/jobs</c> would be: an OpenAI call has no <c>Idempotency-Key</c> and its client does not
    /// poll, so the retry (the SDKs retry a 503 themselves) is a new job, and a handed-back one would run for nobody
    /// and be charged to the key's token budget a second time.
    /// </summary>
    private static IResult ServerStopping(HttpContext http)
    {
        JobResponses.SetRetryAfter(http, TimeSpan.FromSeconds(1));
        return OpenAiErrors.Create(503, StoppingMessage, OpenAiErrorTypes.Server, null, "server_stopping");
    }

    private static async Task<int> WriteEndAsync(OpenAiStreamWriter writer, JobStatus status, string? resultJson, string? error, string? errorCode, OpenAiRequest request, bool remote, bool replay, CancellationToken ct)
    {
        if (status != JobStatus.Succeeded)
        {
            var (_, type, code) = FailureShape(status, remote, errorCode);
            await writer.WriteErrorAsync(error ?? status.ToWire(), type, code, ct).ConfigureAwait(false);
            return 0;
        }

        var result = OpenAiResult.Parse(resultJson);
        if (replay && result.Text.Length > 0)
        {
            await writer.WriteDeltaAsync(result.Text, ct).ConfigureAwait(false);
        }

        await writer.WriteFinishAsync(result.FinishReason, ct).ConfigureAwait(false);
        if (request.IncludeUsage)
        {
            await writer.WriteUsageAsync(result.PromptTokens, result.CompletionTokens, ct).ConfigureAwait(false);
        }

        await writer.WriteDoneAsync(ct).ConfigureAwait(false);
        return result.CompletionTokens;
    }

    private static string ResultOf(string completedData)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(completedData);
        return doc.RootElement.TryGetProperty("result", out var r) ? r.GetRawText() : "{}";
    }

    private static string StatusOf(string eventType) => eventType switch
    {
        JobEventTypes.Cancelled => "cancelled",
        JobEventTypes.Expired => "expired",
        JobEventTypes.DeadLettered => "dead_lettered",
        _ => "failed",
    };

    /// <summary>
    /// The OpenAI answer to a job that did not succeed, decided on its <paramref name="errorCode"/> (never on the error's
    /// words). A job stored before codes were kept (null) is answered as an upstream's or the local model's failure.
    /// </summary>
    private static (int Status, string Type, string Code) FailureShape(JobStatus status, bool remote, string? errorCode) => status switch
    {
        JobStatus.Expired => (504, OpenAiErrorTypes.Timeout, "deadline_exceeded"),
        JobStatus.Cancelled => (409, OpenAiErrorTypes.InvalidRequest, "cancelled"),
        // The upstream refused the request itself (400, 413, 422): the client's to fix, and a 5xx would only make the
        // SDKs send the same refused request again.
        JobStatus.Failed when remote && errorCode == JobErrorCodes.UpstreamRefused => (400, OpenAiErrorTypes.InvalidRequest, "upstream_refused"),
        // The open circuit refused the call (the upstream was not asked): the model is unavailable for now, with a known
        // time to try again, which is what 503 and Retry-After say (RFC 9110; Envoy answers an unusable cluster 503 too).
        // A 502 says the upstream gave a bad answer, and its Retry-After would mean nothing to HTTP clients.
        _ when remote && errorCode == JobErrorCodes.CircuitOpen => (503, OpenAiErrorTypes.Server, "model_unavailable"),
        // The last attempt met the upstream's 429 or 503: it said it is not taking calls for now, which the client is told
        // as for a held-back retry (see HeldBack): 503 with its Retry-After (1 s when it named none). Not a 502: nothing bad
        // came back, the upstream was unavailable.
        _ when remote && errorCode == JobErrorCodes.UpstreamUnavailable => (503, OpenAiErrorTypes.Server, "model_unavailable"),
        // The upstream sent no answer in time, or its stream stalled: a gateway timeout (504), as /v1/models/{m}/infer
        // answers it, with the type of Sluice's other 504; not a 502, which says a bad answer came back.
        _ when remote && errorCode == JobErrorCodes.UpstreamTimeout => (504, OpenAiErrorTypes.Timeout, "upstream_timeout"),
        _ when remote => (502, OpenAiErrorTypes.Server, "upstream_error"),
        _ => (500, OpenAiErrorTypes.Server, "model_error"),
    };

    private static IResult Failed(HttpContext http, ModelRegistry registry, JobRecord job, bool remote)
    {
        var error = job.Error ?? job.Status.ToWire();
        var (code, type, name) = FailureShape(job.Status, remote, job.ErrorCode);
        if (code == 503)
        {
            // Refused by the open circuit: retry once it takes its next trial call (at least 1 s); else the wait the
            // upstream asked for.
            JobResponses.SetRetryAfter(http, job.ErrorCode == JobErrorCodes.CircuitOpen ? CircuitRetry.After(registry, job.Model) : job.RetryAfter ?? TimeSpan.Zero);
            return OpenAiErrors.Create(code, error, type, "model", name);
        }

        return OpenAiErrors.Create(code, error, type, null, name);
    }

    /// <summary>
    /// A job whose retry the model holds back (see <see cref="CircuitRetry.HeldBackBy(JobEvent, out TimeSpan, out string?)"/>): 503,
    /// unavailable for now, with the time to try again: the circuit's next trial as it stands now, else the wait the
    /// upstream asked for. Not the upstream's 429 passed on: that would read as the client's own key being limited.
    /// </summary>
    private static IResult HeldBack(HttpContext http, ModelRegistry registry, string model, string error, string? errorCode, TimeSpan delay)
    {
        JobResponses.SetRetryAfter(http, errorCode == JobErrorCodes.CircuitOpen ? CircuitRetry.After(registry, model) : delay);
        return OpenAiErrors.Create(503, error, OpenAiErrorTypes.Server, "model", "model_unavailable");
    }

    private static IResult Rejected(HttpContext http, SubmitOutcome outcome, OpenAiRequest request, bool chat)
    {
        switch (outcome.Status)
        {
            case SubmitStatus.UnknownModel:
                return OpenAiErrors.ModelNotFound(request.Model);
            case SubmitStatus.InvalidInput:
                return OpenAiErrors.InvalidRequest(outcome.Error.Message, OpenAiRequestParser.ParamOf(outcome.Error.Field, chat));
            case SubmitStatus.QueueFull:
                JobResponses.SetRetryAfter(http, outcome.RetryAfter);
                return OpenAiErrors.Create(429, outcome.Detail ?? "the model's queue is full; retry later", OpenAiErrorTypes.ServerOverloaded, null, "queue_full");
            case SubmitStatus.ModelUnavailable:
                JobResponses.SetRetryAfter(http, outcome.RetryAfter);
                return OpenAiErrors.Create(503, outcome.Detail ?? "the model is not ready", OpenAiErrorTypes.Server, "model", "model_unavailable");
            default:
                JobResponses.SetRetryAfter(http, outcome.RetryAfter);
                return OpenAiErrors.Create(503, outcome.Detail ?? "try again later", OpenAiErrorTypes.Server, null, "service_unavailable");
        }
    }
}
