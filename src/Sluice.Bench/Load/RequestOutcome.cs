namespace Sluice.Bench.Load;

/// <summary>The result of one request: its kind and a status code (HTTP status, or one of <see cref="OutcomeCodes"/>).</summary>
internal readonly record struct RequestOutcome(OutcomeKind Kind, int Code)
{
    /// <summary>Classifies an HTTP status: 2xx succeeded, 429/503 rejected, anything else failed.</summary>
    public static RequestOutcome FromHttpStatus(int status) => status switch
    {
        >= 200 and < 300 => new RequestOutcome(OutcomeKind.Succeeded, status),
        429 or 503 => new RequestOutcome(OutcomeKind.Rejected, status),
        _ => new RequestOutcome(OutcomeKind.Failed, status),
    };

    /// <summary>A failure with a non-HTTP code.</summary>
    public static RequestOutcome Failure(int code) => new(OutcomeKind.Failed, code);
}
