using Polly.CircuitBreaker;
using Sluice.Core.Jobs;

namespace Sluice.Backends.Resilience;

/// <summary>
/// An upstream call that failed, classified for the two decisions that follow: may this call be tried again now
/// (<see cref="SafeToRetry"/>: nothing was processed, or the call is idempotent), and does it count against the
/// upstream's health (<see cref="Transient"/>: its fault, not a bad request).
/// </summary>
public sealed class UpstreamException : Exception
{
    public UpstreamException(string message, int? statusCode, bool safeToRetry, bool transient, TimeSpan? retryAfter = null, Exception? inner = null, string? code = null)
        : base(message, inner)
    {
        Code = code ?? CodeOf(statusCode, inner);
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
    /// Words for whoever reads the error; Sluice decides on <see cref="Code"/>.
    /// </summary>
    public const string RefusedAsInvalid = "refusing the request as invalid";

    /// <summary>How the message of a call the open circuit refused goes on after the backend's name.</summary>
    internal const string CircuitOpen = "circuit open after repeated upstream failures";

    /// <summary>
    /// True when an error with no code is a refusal by the backend's open circuit: the <see cref="CircuitOpen"/> mark
    /// right after the backend's name, never the same words inside an upstream's answer. Kept only for the
    /// <c>retrying</c> events of a worker that predates <see cref="Code"/> (a rolling upgrade: its events reach new
    /// gateways through the broker, and a PostgreSQL store keeps a running job's events), which carry no
    /// <c>error_code</c>; everything else decides on the code.
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

    /// <summary>In the message of an upstream's HTTP error answer, after its status: the seconds its <c>Retry-After</c> asked for.</summary>
    internal const string RetryAfterMark = " (Retry-After ";

    /// <summary>How the message of a call with no answer in time goes on after the backend's name.</summary>
    internal const string NoAnswer = "no answer from ";

    /// <summary>How the message of a stream silent too long goes on after the backend's name.</summary>
    internal const string Stalled = "the stream stalled for ";

    /// <summary>
    /// Why the call failed, one of <see cref="JobErrorCodes"/>: the job's <c>error_code</c>, from which Sluice's HTTP
    /// answers are decided (never from the message, whose words may change).
    /// </summary>
    public string Code { get; }

    /// <summary>
    /// The code of a failure whose thrower named none: from the status the upstream answered (400/413/422 refused as
    /// invalid, 429/503 unavailable for now) or an open circuit's refusal; any other is an upstream error.
    /// </summary>
    private static string CodeOf(int? statusCode, Exception? inner) => statusCode switch
    {
        400 or 413 or 422 => JobErrorCodes.UpstreamRefused,
        429 or 503 => JobErrorCodes.UpstreamUnavailable,
        _ when inner is BrokenCircuitException => JobErrorCodes.CircuitOpen,
        _ => JobErrorCodes.UpstreamError,
    };

    /// <summary>HTTP status the upstream answered, when it answered.</summary>
    public int? StatusCode { get; }

    /// <summary>True when repeating the call cannot do harm (connection refused, 429/503, or an idempotent call).</summary>
    public bool SafeToRetry { get; }

    /// <summary>True for failures of the upstream (5xx, timeouts, drops); false for requests it refused as invalid.</summary>
    public bool Transient { get; }

    /// <summary>The upstream's <c>Retry-After</c>, if any.</summary>
    public TimeSpan? RetryAfter { get; }
}
