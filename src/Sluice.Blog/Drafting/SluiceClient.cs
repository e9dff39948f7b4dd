using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Sluice.Blog.Drafting;

/// <summary>
/// The blog's client of Sluice's HTTP API, as any client: the <c>blog-draft</c> task, its job's event stream and
/// its cancellation. The API key is added here and never leaves the server.
/// </summary>
internal sealed class SluiceClient(HttpClient http, IOptions<SluiceOptions> options)
{
    public const string DraftTask = "blog-draft";

    public async Task<DraftStart> StartDraftAsync(string title, string outline, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var body = new JsonObject { ["input"] = new JsonObject { ["title"] = title, ["outline"] = outline } };
        if (settings.Model.Length > 0)
        {
            body["model"] = settings.Model;
        }

        if (settings.MaxTokens > 0)
        {
            body["max_tokens"] = settings.MaxTokens;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/tasks/{DraftTask}")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response is null)
        {
            return Unreachable();
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return TryReadId(text) is { } id
                ? DraftStart.Started(id)
                : new DraftStart(null, StatusCodes.Status502BadGateway, null, "Sluice accepted the draft but its answer carried no job id.", null);
        }

        return Refusal(response, text);
    }

    /// <summary>Sluice's refusal as the blog passes it on: input errors become the form's fields, the rest 502 or 503.</summary>
    private static DraftStart Refusal(HttpResponseMessage response, string text)
    {
        var (field, detail) = ReadProblem(text);
        var status = (int)response.StatusCode;
        var retryAfter = response.Headers.RetryAfter?.Delta is { } delta ? ((int)Math.Ceiling(delta.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return status switch
        {
            // The input's fields are the form's: input.title is title, input.outline[2] and a prompt too long (input) are the outline.
            400 or 413 or 422 when field is not null && field.StartsWith("input", StringComparison.Ordinal) =>
                new DraftStart(null, StatusCodes.Status400BadRequest, field.StartsWith("input.title", StringComparison.Ordinal) ? "title" : "outline", detail, null),
            401 or 403 => new DraftStart(null, StatusCodes.Status502BadGateway, null, "Sluice refused the blog's API key (Blog:Sluice:ApiKey).", null),
            429 or 503 => new DraftStart(null, StatusCodes.Status503ServiceUnavailable, null, $"Sluice is busy: {detail}", retryAfter ?? "1"),
            _ => new DraftStart(null, StatusCodes.Status502BadGateway, null, $"Sluice answered {status}: {detail}", null),
        };
    }

    public const string OutlineTask = "blog-outline";

    /// <summary>Longest a suggested outline is waited for (<c>Prefer: wait</c>); an outline is short.</summary>
    public const int OutlineWaitSeconds = 20;

    /// <summary>Runs the <c>blog-outline</c> task and waits for its text.</summary>
    public async Task<OutlineAnswer> SuggestOutlineAsync(string title, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var body = new JsonObject { ["input"] = new JsonObject { ["title"] = title } };
        if (settings.Model.Length > 0)
        {
            body["model"] = settings.Model;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/tasks/{OutlineTask}")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Prefer", $"wait={OutlineWaitSeconds}");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response is null)
        {
            var down = Unreachable();
            return new OutlineAnswer(null, down.Status, null, down.Detail, down.RetryAfter);
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.OK && TryReadResultText(text) is { } outline)
        {
            return new OutlineAnswer(outline, StatusCodes.Status200OK, null, null, null);
        }

        if (response.StatusCode == HttpStatusCode.Accepted || response.IsSuccessStatusCode)
        {
            // Not finished in time (202), or finished otherwise than succeeded: nothing to show.
            return new OutlineAnswer(null, StatusCodes.Status504GatewayTimeout, null, $"Sluice wrote no outline within {OutlineWaitSeconds} s.", null);
        }

        var refusal = Refusal(response, text);
        return new OutlineAnswer(null, refusal.Status, refusal.Field is null ? null : "title", refusal.Detail, refusal.RetryAfter);
    }

    /// <summary>The job's Server-Sent Events; Sluice cancels the job if this connection closes before its end.</summary>
    public async Task<HttpResponseMessage?> OpenEventsAsync(string jobId, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"v1/jobs/{Uri.EscapeDataString(jobId)}/events?cancel_on_disconnect=true");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>True once the job is stopped or had already ended; false when Sluice could not be told.</summary>
    public async Task<bool> CancelAsync(string jobId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"v1/jobs/{Uri.EscapeDataString(jobId)}");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return response is not null && (response.IsSuccessStatusCode || response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound);
    }

    public string Describe() => http.BaseAddress?.ToString() ?? options.Value.BaseUrl;

    private DraftStart Unreachable() =>
        new(null, StatusCodes.Status503ServiceUnavailable, null, $"Sluice is not reachable at {Describe()}.", "5");

    /// <summary>The answer, or null when Sluice could not be reached or did not answer in time (never throws for that).</summary>
    private async Task<HttpResponseMessage?> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        if (options.Value.ApiKey.Length > 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.ApiKey);
        }

        try
        {
            return await http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient.Timeout: Sluice did not answer.
            return null;
        }
    }

    private static string? TryReadId(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? TryReadResultText(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("status", out var status) && status.ValueEquals("succeeded")
                && root.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Object
                && result.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String
                    ? t.GetString()
                    : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static (string? Field, string Detail) ReadProblem(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, "an answer that is not a problem");
            }

            var field = root.TryGetProperty("field", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            var detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()
                : root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            return (field, detail ?? "no detail");
        }
        catch (JsonException)
        {
            return (null, "an answer that is not a problem");
        }
    }
}
