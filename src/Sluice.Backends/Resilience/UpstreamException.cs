using System.Diagnostics.CodeAnalysis;
using System.Globalization;

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

    /// <summary>
    /// In the message of an upstream's HTTP error answer, after its status: the seconds its <c>Retry-After</c> asked
    /// for. A job keeps only its error, so this is how the wait reaches the answer of a job whose last attempt met it.
    /// </summary>
    internal const string RetryAfterMark = " (Retry-After ";

    /// <summary>How the message of a call with no answer in time goes on after the backend's name.</summary>
    internal const string NoAnswer = "no answer from ";

    /// <summary>How the message of a stream silent too long goes on after the backend's name.</summary>
    internal const string Stalled = "the stream stalled for ";

    /// <summary>The HTTP status the upstream answered, read from a job's error; null when it did not answer with one.</summary>
    public static int? AnsweredStatus(string? error)
    {
        var at = AfterName(error);
        if (at < 0 || !error.AsSpan(at).StartsWith(Answered, StringComparison.Ordinal))
        {
            return null;
        }

        var digits = error.AsSpan(at + Answered.Length);
        return digits.Length >= 3 && int.TryParse(digits[..3], NumberStyles.None, CultureInfo.InvariantCulture, out var status) ? status : null;
    }

    /// <summary>
    /// The wait an upstream's error answer asked for (its <c>Retry-After</c>, the <see cref="RetryAfterMark"/> Sluice
    /// writes after the status), read from a job's error; null when it asked for none. Never one quoted in its body.
    /// </summary>
    public static TimeSpan? RetryAfterOf(string? error)
    {
        if (AnsweredStatus(error) is null)
        {
            return null;
        }

        var answered = error!.IndexOf(Answered, StringComparison.Ordinal);
        var body = error.IndexOf(": ", answered, StringComparison.Ordinal);
        var mark = error.IndexOf(RetryAfterMark, answered, StringComparison.Ordinal);
        if (mark < 0 || (body >= 0 && mark > body))
        {
            return null;
        }

        var digits = error.AsSpan(mark + RetryAfterMark.Length);
        var end = digits.IndexOf(' ');
        return end > 0 && long.TryParse(digits[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds) : null;
    }

    /// <summary>True when a job's error says the upstream did not answer in time (no response headers, a stalled stream).</summary>
    public static bool IsTimeout(string? error)
    {
        var at = AfterName(error);
        return at >= 0 && (error.AsSpan(at).StartsWith(NoAnswer, StringComparison.Ordinal) || error.AsSpan(at).StartsWith(Stalled, StringComparison.Ordinal));
    }

    /// <summary>Where a job's error goes on after "backend 'name': ", or -1 when it is no backend's error.</summary>
    private static int AfterName([NotNullWhen(true)] string? error)
    {
        if (error is null || !error.StartsWith("backend '", StringComparison.Ordinal))
        {
            return -1;
        }

        var name = error.IndexOf("': ", StringComparison.Ordinal);
        return name < 0 ? -1 : name + 3;
    }

    /// <summary>HTTP status the upstream answered, when it answered.</summary>
    public int? StatusCode { get; }

    /// <summary>True when repeating the call cannot do harm (connection refused, 429/503, or an idempotent call).</summary>
    public bool SafeToRetry { get; }

    /// <summary>True for failures of the upstream (5xx, timeouts, drops); false for requests it refused as invalid.</summary>
    public bool Transient { get; }

    /// <summary>The upstream's <c>Retry-After</c>, if any.</summary>
    public TimeSpan? RetryAfter { get; }
}
