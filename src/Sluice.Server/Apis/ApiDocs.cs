using Microsoft.OpenApi;
using Sluice.Core.Jobs;
using Sluice.Server.Http;

namespace Sluice.Server.Apis;

/// <summary>
/// The query parameters, request headers and response headers the handlers read and write by hand, described once for
/// the OpenAPI document (see <see cref="DocumentationExtensions"/>). Limits come from the constants the parsers use.
/// </summary>
internal static class ApiDocs
{
    private static readonly DocumentedValue ModelName = DocumentedValue.String with
    {
        MinLength = 1,
        MaxLength = SubmitParser.MaxModelNameLength,
        Pattern = "^[a-z0-9._-]+$",
    };

    private static readonly DocumentedValue Priority = DocumentedValue.String with { Enum = ["high", "normal", "low"] };

    // Submitting endpoints (jobs, essays, tasks).
    public static readonly DocumentedParameter Prefer = Header("Prefer",
        "'wait=N' (RFC 7240): answer 200 with the finished job if it ends within N seconds (capped at Sluice:Http:MaxWaitSeconds), else the 202. "
        + "A wait that is not a whole number of seconds is ignored.", DocumentedValue.String);

    public static readonly DocumentedParameter IdempotencyKey = Header("Idempotency-Key",
        "The same key and body within 24 h return the original job (Idempotent-Replayed: true); the same key with another body, or on another endpoint, is a 422. "
        + "A job cancelled because the request that created it went away while it waited (Prefer: wait) frees the key: the retry creates a new job.",
        DocumentedValue.String with { MinLength = 1, MaxLength = 255, Pattern = "^[\\x21-\\x7E]+$" });

    public static readonly DocumentedParameter TraceParent = Header("traceparent",
        "W3C trace context (00-{32 hex}-{16 hex}-{2 hex}); a valid one is stored with the job (trace_parent), others are ignored. With tracing on, the request's own span in that trace is stored instead, the parent of the job's queue and run spans.", DocumentedValue.String);

    public static readonly DocumentedParameter[] Submit = [Prefer, IdempotencyKey, TraceParent];

    // Listings (GET /v1/jobs, GET /v1/dead-letters).
    public static readonly DocumentedParameter Status = Query("status", "Only jobs with this status.",
        DocumentedValue.String with { Enum = [.. Enum.GetValues<JobStatus>().Select(static s => s.ToWire())] });

    public static readonly DocumentedParameter Model = Query("model", "Only jobs of this model.", ModelName);

    public static readonly DocumentedParameter Before = Query("before", "Only jobs older than this job id: the 'next' of the previous page.",
        // JobIds' alphabet: Crockford's base 32 (no i, l, o or u), which JobIds.IsWellFormed holds a 'before' to.
        DocumentedValue.String with { MinLength = 30, MaxLength = 30, Pattern = "^job_[0-9a-hjkmnp-tv-z]{26}$" });

    public static DocumentedParameter Limit(int defaultLimit) => Query("limit", "Page size.",
        DocumentedValue.Integer with { Minimum = 1, Maximum = JobListing.MaxLimit, Default = (long)defaultLimit });

    // Event streams.
    public static readonly DocumentedParameter LastEventIdHeader = Header("Last-Event-ID",
        "Resume after this event id: only events with a higher id are sent (204 when the terminal event was already seen).",
        DocumentedValue.Integer with { Format = "int64", Minimum = 0 });

    public static readonly DocumentedParameter LastEventIdQuery = Query("last_event_id",
        "As the Last-Event-ID header, for clients that cannot set headers; the header wins when both are sent.",
        DocumentedValue.Integer with { Format = "int64", Minimum = 0 });

    public static readonly DocumentedParameter CancelOnDisconnect = Query("cancel_on_disconnect",
        "true: cancel the job when the client goes away before its end.", new DocumentedValue(JsonSchemaType.Boolean) { Default = false });

    public static readonly DocumentedParameter StreamToken = Query(Admission.StreamTokens.QueryName,
        "Instead of the API key, for clients that cannot send headers (a browser's EventSource): the stream_token of this job's view "
        + "(submit, GET /v1/jobs/{id}). Read-only (cancel_on_disconnect=true is a 403), only for this job's event streams (401 on any "
        + "other endpoint or job), until stream_token_expires_at (Sluice:Auth:StreamTokenSeconds, 300 by default). Ignored without keys.",
        DocumentedValue.String with { MaxLength = 1024 });

    // The WebSocket handshake (RFC 6455): the only header of it the handler names in its 400; the others are the client library's.
    public static readonly DocumentedParameter WebSocketUpgrade = Header("Upgrade",
        "'websocket', with 'Connection: Upgrade', 'Sec-WebSocket-Key' and 'Sec-WebSocket-Version: 13' (RFC 6455; a WebSocket client sends them). "
        + "A request that is not a WebSocket handshake is a 400 naming Upgrade.",
        DocumentedValue.String with { Enum = ["websocket"] }) with { Required = true };

    public static readonly DocumentedHeader[] WebSocketAccepted =
    [
        new("Upgrade", "'websocket'.", DocumentedValue.String with { Enum = ["websocket"] }),
        new("Connection", "'Upgrade'.", DocumentedValue.String),
        new("Sec-WebSocket-Accept", "The handshake's answer to Sec-WebSocket-Key (RFC 6455).", DocumentedValue.String),
    ];

    /// <summary>What the connection carries after the 101, which OpenAPI 3.1 has no way to describe by schema.</summary>
    public const string WebSocketMessages =
        "A WebSocket handshake (HTTP/1.1 GET with Upgrade; HTTP/2 extended CONNECT works too). After the 101 the server sends the job's events "
        + "as text messages {\"id\": 3, \"event\": \"delta\", \"data\": {…}}, the same events, ids and data as GET /v1/jobs/{id}/events, "
        + "and closes normally (1000) after the terminal event, or with 1001 when the server is stopping (reconnect with last_event_id). "
        + "It pings a client silent for Sluice:Http:KeepAliveSeconds (15) and drops one that for two intervals and a second neither answers "
        + "nor reads anything (a client that vanished; with cancel_on_disconnect its job is cancelled); a slow reader, its pongs late behind "
        + "what it has not read, stays. Where the server cannot see the client's TCP (HTTP/2, not Linux) a ping unanswered for an interval drops it. "
        + "Refusals come before the upgrade, as ordinary problem answers.";

    // OpenAI-compatible endpoints.
    public static readonly DocumentedParameter PriorityHeader = Header(OpenAiApi.PriorityHeader, "The job's priority lane (default normal).", Priority);

    public static readonly DocumentedParameter DeadlineHeader = Header(OpenAiApi.DeadlineHeader,
        "Deadline in milliseconds: a generation that cannot finish in time ends with 504 deadline_exceeded.",
        DocumentedValue.Integer with { Minimum = 1, Maximum = 86_400_000 });

    // Response headers.
    public static readonly DocumentedHeader Location = new("Location", "The job: /v1/jobs/{id}.", DocumentedValue.String with { Format = "uri-reference" });

    public static readonly DocumentedHeader PreferenceApplied = new("Preference-Applied", "'wait=N' when Prefer: wait was honoured (N as capped).", DocumentedValue.String);

    public static readonly DocumentedHeader IdempotentReplayed = new("Idempotent-Replayed",
        "'true' when the answer is the job of an earlier request with the same key.", DocumentedValue.String with { Enum = ["true"] });

    public static readonly DocumentedHeader[] SubmitAnswer = [Location, PreferenceApplied, IdempotentReplayed];

    public static readonly DocumentedHeader JobId = new("X-Sluice-Job-Id", "The job behind the answer (GET /v1/jobs/{id}).", DocumentedValue.String);

    public static readonly DocumentedHeader RunsOn = new("X-Sluice-Model", "The model that runs the request (a fallback's when one was used).", ModelName);

    public static readonly DocumentedHeader Fallback = new("X-Sluice-Fallback",
        "'{model asked for}; {reason}' when the request went to that model's fallback.", DocumentedValue.String);

    public static readonly DocumentedHeader TaskRun = new("X-Sluice-Task", "'{task}@{version}' of the template run.", DocumentedValue.String);

    public static readonly DocumentedHeader[] TokenLimits =
    [
        new("x-ratelimit-limit-tokens", "The key's tokens per minute (keys with Sluice:Auth:Keys:N:TokensPerMinute only).", DocumentedValue.Integer),
        new("x-ratelimit-remaining-tokens", "Tokens left in the key's bucket after this request's max_tokens was reserved.", DocumentedValue.Integer),
        new("x-ratelimit-reset-tokens", "Time until the bucket is full again (or, on a 429, until the request fits), as 20ms, 1.5s or 6m0s.", DocumentedValue.String),
        new("x-ratelimit-limit-requests", "The key's requests per minute, when it has a request rate too.", DocumentedValue.Integer),
    ];

    public static readonly DocumentedHeader RetryAfterMs = new("retry-after-ms", "Retry-After in milliseconds (token limit refusals).", DocumentedValue.Integer);

    private static DocumentedParameter Header(string name, string description, DocumentedValue value) => new(name, ParameterLocation.Header, description, value);

    private static DocumentedParameter Query(string name, string description, DocumentedValue value) => new(name, ParameterLocation.Query, description, value);
}
