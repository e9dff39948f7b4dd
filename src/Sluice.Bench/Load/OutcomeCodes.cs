namespace Sluice.Bench.Load;

/// <summary>Codes for outcomes that are not an HTTP status (all negative so they never clash).</summary>
internal static class OutcomeCodes
{
    /// <summary>The per-request deadline passed.</summary>
    public const int Timeout = -1;

    /// <summary>The connection failed (refused, reset, closed early).</summary>
    public const int ConnectionError = -2;

    /// <summary>The response could not be understood.</summary>
    public const int ProtocolError = -3;

    /// <summary>The run was stopped (Ctrl+C) while the request was in flight (<see cref="OutcomeKind.Cancelled"/>).</summary>
    public const int Cancelled = -4;

    /// <summary>The job was accepted and then failed.</summary>
    public const int JobFailed = -10;

    /// <summary>The job was accepted and then expired (deadline) or was cancelled by the server.</summary>
    public const int JobExpired = -11;

    /// <summary>The job stream ended without a terminal event.</summary>
    public const int StreamEndedEarly = -12;

    /// <summary>Name used in reports.</summary>
    public static string Name(int code) => code switch
    {
        Timeout => "timeout",
        ConnectionError => "connection_error",
        ProtocolError => "protocol_error",
        Cancelled => "cancelled",
        JobFailed => "job_failed",
        JobExpired => "job_expired",
        StreamEndedEarly => "stream_ended_early",
        _ => code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
