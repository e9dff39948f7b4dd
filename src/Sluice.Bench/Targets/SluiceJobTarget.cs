using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sluice.Bench.Load;

namespace Sluice.Bench.Targets;

/// <summary>
/// The Sluice job API. <see cref="TargetKind.Job"/>: <c>POST /v1/jobs</c> with <c>Prefer: wait=N</c>; a 200 carries the
/// finished job, a 202 is polled at <c>GET /v1/jobs/{id}</c> until terminal. <see cref="TargetKind.JobStream"/>: submit,
/// then read <c>GET /v1/jobs/{id}/events</c>; time to first event is to the first <c>delta</c>/<c>progress</c> event (or
/// to <c>completed</c> when there is none), inter-event latency is between consecutive ones. Jobs ask the server not to
/// answer from its result cache unless <see cref="TargetSpec.UseResultCache"/>.
/// </summary>
internal sealed class SluiceJobTarget : ILoadTarget
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue s_eventStream = new("text/event-stream");
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(20);

    private readonly HttpClient _client;
    private readonly bool _ownsClient;
    private readonly Uri _jobs;
    private readonly Uri _baseUri;
    private readonly byte[] _body;
    private readonly bool _stream;
    private readonly string _prefer;

    public SluiceJobTarget(TargetSpec spec, TimeSpan deadline, HttpClient? client = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _stream = spec.Kind == TargetKind.JobStream;
        _baseUri = spec.Url;
        _jobs = new Uri(spec.Url, spec.SubmitPath);
        int deadlineMs = (int)Math.Clamp(deadline.TotalMilliseconds, 1, int.MaxValue);
        _body = spec.SubmitBody is not null ? Encoding.UTF8.GetBytes(spec.SubmitBody) : Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $$"""{"model":{{JsonSerializer.Serialize(spec.Model)}},"input":{{spec.InputJson}},"priority":{{JsonSerializer.Serialize(spec.Priority)}},"deadline_ms":{{deadlineMs}},"cache":{{(spec.UseResultCache ? "true" : "false")}}}"""));
        _prefer = string.Create(CultureInfo.InvariantCulture, $"wait={Math.Clamp((int)Math.Ceiling(deadline.TotalSeconds), 1, 600)}");
        Description = $"POST {_jobs} ({spec.Model}, {(_stream ? "stream" : "wait")}{(spec.SubmitBody is null && !spec.UseResultCache ? ", result cache bypassed" : "")})";
        _ownsClient = client is null;
        _client = client ?? BenchHttp.CreateClient();
    }

    public string Description { get; }

    public ValueTask<RequestOutcome> ExecuteAsync(RequestContext context, CancellationToken cancellationToken) =>
        _stream ? StreamAsync(context, cancellationToken) : WaitAsync(context, cancellationToken);

    public ValueTask DisposeAsync()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private static RequestOutcome FromTerminal(JobResponse job, int httpStatus) =>
        job.Status == "succeeded" ? new RequestOutcome(OutcomeKind.Succeeded, httpStatus) : Unsuccessful(job.Status);

    /// <summary>
    /// A job's end other than success, by its status or its stream's terminal event (the same names): failed, also
    /// after every attempt (dead-lettered), or ended without failing (cancelled, expired).
    /// </summary>
    private static RequestOutcome Unsuccessful(string? status) =>
        RequestOutcome.Failure(status is "failed" or "dead_lettered" ? OutcomeCodes.JobFailed : OutcomeCodes.JobExpired);

    private HttpRequestMessage CreateSubmit(bool wait)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _jobs);
        var content = new ByteArrayContent(_body);
        content.Headers.ContentType = s_json;
        request.Content = content;
        if (wait)
        {
            request.Headers.TryAddWithoutValidation("Prefer", _prefer);
        }

        return request;
    }

    private async ValueTask<RequestOutcome> WaitAsync(RequestContext context, CancellationToken cancellationToken)
    {
        JobResponse job;
        int status;
        using (HttpRequestMessage request = CreateSubmit(wait: true))
        using (HttpResponseMessage response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false))
        {
            status = (int)response.StatusCode;
            context.RetryAfterSeen = response.Headers.RetryAfter is not null;
            if (status is not (200 or 202))
            {
                return RequestOutcome.FromHttpStatus(status);
            }

            byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            job = JobResponse.Parse(bytes);
        }

        context.Accepted = true;
        while (!job.IsTerminal)
        {
            if (job.Id is null)
            {
                return RequestOutcome.Failure(OutcomeCodes.ProtocolError);
            }

            await Task.Delay(s_pollInterval, cancellationToken).ConfigureAwait(false);
            using var poll = new HttpRequestMessage(HttpMethod.Get, new Uri(_baseUri, "/v1/jobs/" + Uri.EscapeDataString(job.Id)));
            poll.Headers.TryAddWithoutValidation("Prefer", _prefer);
            using HttpResponseMessage response = await _client.SendAsync(poll, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return RequestOutcome.FromHttpStatus((int)response.StatusCode) with { Kind = OutcomeKind.Failed };
            }

            string? id = job.Id;
            job = JobResponse.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
            job = job with { Id = job.Id ?? id };
            status = 200;
        }

        context.BatchSize = job.BatchSize;
        return FromTerminal(job, status);
    }

    private async ValueTask<RequestOutcome> StreamAsync(RequestContext context, CancellationToken cancellationToken)
    {
        JobResponse job;
        using (HttpRequestMessage request = CreateSubmit(wait: false))
        using (HttpResponseMessage response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false))
        {
            int status = (int)response.StatusCode;
            context.RetryAfterSeen = response.Headers.RetryAfter is not null;
            if (status is not (200 or 202))
            {
                return RequestOutcome.FromHttpStatus(status);
            }

            job = JobResponse.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
        }

        context.Accepted = true;
        if (job.Id is null)
        {
            return RequestOutcome.Failure(OutcomeCodes.ProtocolError);
        }

        using var events = new HttpRequestMessage(HttpMethod.Get, new Uri(_baseUri, "/v1/jobs/" + Uri.EscapeDataString(job.Id) + "/events"));
        events.Headers.Accept.Add(s_eventStream);
        using HttpResponseMessage stream = await _client.SendAsync(events, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (stream.StatusCode != HttpStatusCode.OK)
        {
            return RequestOutcome.FromHttpStatus((int)stream.StatusCode) with { Kind = OutcomeKind.Failed };
        }

        using var reader = new SseReader(await stream.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        while (await reader.ReadNextAsync(cancellationToken).ConfigureAwait(false))
        {
            switch (reader.EventName)
            {
                case "delta":
                case "progress":
                    context.OnEvent();
                    break;
                case "completed":
                    if (context.EventCount == 0)
                    {
                        context.OnEvent();
                    }

                    if (reader.Data.Length > 0 && reader.Data[0] == '{')
                    {
                        context.BatchSize = JobResponse.Parse(Encoding.UTF8.GetBytes(reader.Data)).BatchSize;
                    }

                    return new RequestOutcome(OutcomeKind.Succeeded, 200);
                case "failed" or "dead_lettered" or "cancelled" or "expired":
                    return Unsuccessful(reader.EventName);
                default:
                    break; // queued, started, keep-alives
            }
        }

        return RequestOutcome.Failure(OutcomeCodes.StreamEndedEarly);
    }
}
