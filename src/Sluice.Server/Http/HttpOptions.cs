using System.ComponentModel.DataAnnotations;

namespace Sluice.Server.Http;

/// <summary>HTTP limits (section <c>Sluice:Http</c>).</summary>
public sealed class HttpOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Http";

    /// <summary>Largest request body; larger ones get 413.</summary>
    [Range(1024, 512L * 1024 * 1024)]
    public long MaxBodyBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>
    /// Longest time a JSON request body may take to arrive, in seconds; slower is 408. Kestrel's minimum data rate
    /// (240 bytes/s) alone lets a client trickling just above it hold a connection for hours.
    /// </summary>
    [Range(1, 3600)]
    public int BodyTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Interval of SSE keep-alive comments and WebSocket pings; a WebSocket client that answers no ping within it is
    /// dropped, an SSE connection whose data stays unacknowledged for two intervals is aborted, and an HTTP/2 connection
    /// silent for an interval is pinged and closed when no answer comes within another.
    /// </summary>
    [Range(1, 3600)]
    public int KeepAliveSeconds { get; set; } = 15;

    /// <summary>
    /// Whether the 500 problem of an unhandled exception names it (type, message and stack in <c>exception</c>); off in
    /// every environment, Development included, as they can carry paths, connection strings or SQL.
    /// </summary>
    public bool DetailedErrors { get; set; }

    /// <summary>Longest <c>Prefer: wait=N</c> honoured, in seconds.</summary>
    [Range(0, 3600)]
    public int MaxWaitSeconds { get; set; } = 300;

    /// <summary>
    /// Seconds between the start of a stop (SIGTERM) and closing the listeners: requests are still served but
    /// <c>/health/ready</c> answers 503, so a load balancer takes the node out of rotation first. Counts against
    /// the host's <c>ShutdownTimeout</c>.
    /// </summary>
    [Range(0, 3600)]
    public int ShutdownDelaySeconds { get; set; }
}
