using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Blog.Api;
using Sluice.Blog.Domain;
using Sluice.Blog.Observability;
using Sluice.Blog.Security;

namespace Sluice.Blog.Drafting;

/// <summary>
/// "Draft with AI": <c>POST /drafts</c> submits the title and outline to Sluice's <c>blog-draft</c> task and relays
/// the job's Server-Sent Events to the browser (an <c>event: job</c> with the id first), so the page sees the post
/// as it is written without ever holding the API key. <c>POST /drafts/{id}/cancel</c> stops the job; a browser that
/// goes away stops it too (the relay's upstream stream asks Sluice to cancel on disconnect).
/// </summary>
internal static class DraftEndpoints
{
    /// <summary>Sluice's own limit on a draft's outline.</summary>
    public const int MaxOutlineLength = 8_000;

    public static IEndpointRouteBuilder MapDrafts(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/drafts", StartAsync).RequireAuthorization();
        routes.MapPost("/drafts/{jobId}/cancel", CancelAsync).RequireAuthorization();
        routes.MapPost("/outlines", OutlineAsync).RequireAuthorization();
        return routes;
    }

    private static async Task<IResult> StartAsync(HttpContext context, IFormCollection form, SluiceClient sluice, DraftRegistry registry, BlogMetrics metrics)
    {
        var title = form["title"].ToString().Trim();
        var outline = form["outline"].ToString().Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        var errors = new FieldErrors();
        if (title.Length == 0)
        {
            errors.Add("title", "Give the post a title to draft from.");
        }
        else if (title.Length > PostRules.MaxTitleLength)
        {
            errors.Add("title", $"A title is at most {PostRules.MaxTitleLength} characters.");
        }

        if (outline.Length == 0)
        {
            errors.Add("outline", "Write an outline (a point a line) to draft from.");
        }
        else if (outline.Length > MaxOutlineLength)
        {
            errors.Add("outline", $"An outline is at most {MaxOutlineLength} characters.");
        }

        if (!errors.IsEmpty)
        {
            metrics.Draft(DraftOutcome.Refused, null, null);
            return BlogProblems.Invalid(errors);
        }

        var userId = CurrentUser.Id(context.User)!.Value;
        if (!registry.TryReserve(userId))
        {
            metrics.Draft(DraftOutcome.Refused, null, null);
            context.Response.Headers.RetryAfter = "5";
            return BlogProblems.Status(StatusCodes.Status429TooManyRequests, "Too many drafts",
                $"You have {DraftRegistry.MaxPerUser} drafts running; stop one or wait for it to end.");
        }

        try
        {
            return await DraftAsync(context, title, outline, userId, sluice, registry, metrics);
        }
        finally
        {
            registry.Release(userId);
        }
    }

    private static async Task<IResult> DraftAsync(HttpContext context, string title, string outline, long userId, SluiceClient sluice, DraftRegistry registry, BlogMetrics metrics)
    {
        var started = Stopwatch.GetTimestamp();
        var start = await sluice.StartDraftAsync(title, outline, context.RequestAborted);
        if (start.JobId is null)
        {
            metrics.Draft(DraftOutcome.Refused, null, null);
            if (start.RetryAfter is not null)
            {
                context.Response.Headers.RetryAfter = start.RetryAfter;
            }

            return start.Field is not null
                ? BlogProblems.Field(start.Status, "Draft refused", start.Field, start.Detail!)
                : BlogProblems.Status(start.Status, "Drafting unavailable", start.Detail!);
        }

        registry.Add(start.JobId, userId);
        try
        {
            using var upstream = await sluice.OpenEventsAsync(start.JobId, context.RequestAborted);
            if (upstream is null || !upstream.IsSuccessStatusCode)
            {
                // The job was accepted but cannot be followed: stop it rather than leave it generating unseen.
                await sluice.CancelAsync(start.JobId, CancellationToken.None);
                metrics.Draft(DraftOutcome.Refused, null, null);
                return BlogProblems.Status(StatusCodes.Status502BadGateway, "Drafting unavailable",
                    $"Sluice accepted the draft but its event stream could not be opened ({(upstream is null ? "unreachable" : ((int)upstream.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture))}).");
            }

            var (outcome, firstText) = await RelayAsync(context, start.JobId, upstream, started);
            metrics.Draft(outcome, firstText, outcome == DraftOutcome.Completed ? Stopwatch.GetElapsedTime(started).TotalSeconds : null);
            return Results.Empty;
        }
        finally
        {
            registry.Remove(start.JobId);
        }
    }

    /// <summary>Copies the job's events to the browser; returns how the draft ended and when its first text was relayed.</summary>
    private static async Task<(DraftOutcome Outcome, double? FirstTextSeconds)> RelayAsync(HttpContext context, string jobId, HttpResponseMessage upstream, long started)
    {
        var outcome = DraftOutcome.Ended;
        double? firstText = null;
        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var first = Encoding.UTF8.GetBytes($"event: job\ndata: {JsonSerializer.Serialize(new Dictionary<string, string> { ["id"] = jobId })}\n\n");
        var aborted = context.RequestAborted;
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            await response.Body.WriteAsync(first, aborted);
            await response.Body.FlushAsync(aborted);
            await using var events = await upstream.Content.ReadAsStreamAsync(aborted);
            int read;
            while ((read = await events.ReadAsync(buffer, aborted)) > 0)
            {
                await response.Body.WriteAsync(buffer.AsMemory(0, read), aborted);
                await response.Body.FlushAsync(aborted);
                // For the metrics only: Sluice writes an event whole, so a marker split across two reads is rare (it
                // would count the draft as 'ended', or its first text a little late).
                var chunk = buffer.AsSpan(0, read);
                if (firstText is null && chunk.IndexOf("event: delta"u8) >= 0)
                {
                    firstText = Stopwatch.GetElapsedTime(started).TotalSeconds;
                }

                outcome = chunk.IndexOf("event: completed"u8) >= 0 ? DraftOutcome.Completed
                    : chunk.IndexOf("event: cancelled"u8) >= 0 ? DraftOutcome.Cancelled
                    : chunk.IndexOf("event: failed"u8) >= 0 || chunk.IndexOf("event: expired"u8) >= 0 || chunk.IndexOf("event: dead_lettered"u8) >= 0 ? DraftOutcome.Failed
                    : outcome;
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The browser left: disposing the upstream response closes Sluice's stream, which cancels the job.
            outcome = DraftOutcome.Disconnected;
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            if (aborted.IsCancellationRequested)
            {
                outcome = DraftOutcome.Disconnected;
            }
            else
            {
                // Sluice went away mid-stream: say so, so the page does not wait for an end that will not come.
                var message = Encoding.UTF8.GetBytes($"event: relay_error\ndata: {JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = "the stream from Sluice broke off" })}\n\n");
                await response.Body.WriteAsync(message, CancellationToken.None);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return (outcome, firstText);
    }

    /// <summary><c>POST /outlines</c>: an outline for the title from Sluice's <c>blog-outline</c> task, as <c>{"outline"}</c>.</summary>
    private static async Task<IResult> OutlineAsync(HttpContext context, IFormCollection form, SluiceClient sluice, DraftRegistry registry)
    {
        var title = form["title"].ToString().Trim();
        if (title.Length == 0 || title.Length > PostRules.MaxTitleLength)
        {
            return BlogProblems.Field(StatusCodes.Status400BadRequest, "Invalid title", "title",
                title.Length == 0 ? "Give the post a title to outline." : $"A title is at most {PostRules.MaxTitleLength} characters.");
        }

        // An outline counts as one of the user's drafts while it is written.
        var userId = CurrentUser.Id(context.User)!.Value;
        if (!registry.TryReserve(userId))
        {
            context.Response.Headers.RetryAfter = "5";
            return BlogProblems.Status(StatusCodes.Status429TooManyRequests, "Too many drafts",
                $"You have {DraftRegistry.MaxPerUser} drafts running; stop one or wait for it to end.");
        }

        try
        {
            var answer = await sluice.SuggestOutlineAsync(title, context.RequestAborted);
            if (answer.Outline is not null)
            {
                return Results.Ok(new Dictionary<string, string> { ["outline"] = answer.Outline.Trim() });
            }

            if (answer.RetryAfter is not null)
            {
                context.Response.Headers.RetryAfter = answer.RetryAfter;
            }

            return answer.Field is not null
                ? BlogProblems.Field(answer.Status, "Outline refused", answer.Field, answer.Detail!)
                : BlogProblems.Status(answer.Status, "Drafting unavailable", answer.Detail!);
        }
        finally
        {
            registry.Release(userId);
        }
    }

    private static async Task<IResult> CancelAsync(HttpContext context, string jobId, IFormCollection form, SluiceClient sluice, DraftRegistry registry)
    {
        if (!registry.IsOwner(jobId, CurrentUser.Id(context.User)!.Value))
        {
            // Unknown, finished, or another user's: the same answer, so ids of others' drafts cannot be probed.
            return BlogProblems.Field(StatusCodes.Status404NotFound, "No such draft", "jobId", $"No draft {jobId} of yours is running.");
        }

        return await sluice.CancelAsync(jobId, context.RequestAborted)
            ? Results.NoContent()
            : BlogProblems.Status(StatusCodes.Status503ServiceUnavailable, "Drafting unavailable", $"Sluice at {sluice.Describe()} could not be told to stop the draft; try again.");
    }
}
