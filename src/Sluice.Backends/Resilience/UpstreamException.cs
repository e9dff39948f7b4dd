namespace Sluice.Backends.Resilience;

/// <summary>
/// An upstream call that failed, classified for the two decisions that follow: may this call be tried again now
/// (<see cref="SafeToRetry"/>: nothing was processed, or the call is idempotent), and does it count against the
/// upstream's health (<see cref="Transient"/>: its fault, not a bad request).
/// </summary>
public sealed class UpstreamException : Exception
{
    public UpstreamException(string message, int? statusCode, bool safeToRetry, bool transient, TimeSpan? retryAfter = null, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
        SafeToRetry = safeToRetry;
        Transient = transient;
        RetryAfter = retryAfter;
    }

    public UpstreamException()
        : this("upstream call failed", null, false, true)
    {
    }

    public UpstreamException(string message)
        : this(message, null, false, true)
    {
    }

    public UpstreamException(string message, Exception inner)
        : this(message, null, false, true, null, inner)
    {
    }

    /// <summary>
    /// In the message of an upstream answer 400, 413 or 422: the upstream refused the request itself as invalid (a prompt
    /// too long for its context, a parameter it does not take), so the client's request is at fault, not the upstream.
    /// The job's error keeps it, which lets the OpenAI-compatible endpoints answer 400 rather than 502.
    /// </summary>
    public const string RefusedAsInvalid = "refusing the request as invalid";

    /// <summary>
    /// True when a job's error is an upstream's refusal of the request as invalid: the <see cref="RefusedAsInvalid"/>
    /// mark right after the status Sluice quotes, never one inside the upstream's own answer (a 502 from another proxy
    /// quoting a 400 it met further up is still the upstream's failure).
    /// </summary>
    public static bool IsRefusedAsInvalid(string? error)
    {
        if (error is null)
        {
            return false;
        }

        var answered = error.IndexOf(Answered, StringComparison.Ordinal);
        if (answered < 0)
        {
            return false;
        }

        var mark = error.IndexOf(", " + RefusedAsInvalid, answered, StringComparison.Ordinal);
        var body = error.IndexOf(": ", answered, StringComparison.Ordinal);
        return mark >= 0 && (body < 0 || mark < body);
    }

    /// <summary>How the message of a call the open circuit refused goes on after the backend's name.</summary>
    internal const string CircuitOpen = "circuit open after repeated upstream failures";

    /// <summary>
    /// True when a job's error is a refusal by the backend's open circuit (the upstream was not called): the
    /// <see cref="CircuitOpen"/> mark right after the backend's name, never the same words inside an upstream's answer.
    /// The OpenAI-compatible endpoints answer it 503 with <c>Retry-After</c> (the time to the circuit's next trial)
    /// rather than 502.
    /// </summary>
    public static bool IsCircuitOpen(string? error)
    {
        if (error is null || !error.StartsWith("backend '", StringComparison.Ordinal))
        {
            return false;
        }

        var name = error.IndexOf("': ", StringComparison.Ordinal);
        return name >= 0 && error.AsSpan(name + 3).StartsWith(CircuitOpen, StringComparison.Ordinal);
    }

    /// <summary>How the message of an upstream's HTTP error answer goes on after the backend's name, before its status.</summary>
    internal const string Answered = "upstream answered ";

    /// <summary>HTTP status the upstream answered, when it answered.</summary>
    public int? StatusCode { get; }

    /// <summary>True when repeating the call cannot do harm (connection refused, 429/503, or an idempotent call).</summary>
    public bool SafeToRetry { get; }

    /// <summary>True for failures of the upstream (5xx, timeouts, drops); false for requests it refused as invalid.</summary>
    public bool Transient { get; }

    /// <summary>The upstream's <c>Retry-After</c>, if any.</summary>
    public TimeSpan? RetryAfter { get; }
}
