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
    /// Interval of SSE keep-alive comments and WebSocket pings; a WebSocket client that neither answers nor reads for
    /// two intervals and a second is dropped (one that answers no ping within an interval, where its TCP is not seen),
    /// an SSE connection whose data stays unacknowledged for two intervals is aborted, and an HTTP/2 connection silent
    /// for an interval is pinged and closed when no answer comes within another.
    /// </summary>
    [Range(1, 3600)]
    public int KeepAliveSeconds { get; set; } = 15;

    /// <summary>
    /// Whether the 500 problem of an unhandled exception names it (type, message and stack in <c>exception</c>); off in
    /// every environment, Development included, as they can carry paths, connection strings or SQL.
    /// </summary>
    public bool DetailedErrors { get; set; }

    /// <summary>
    /// Most connections Kestrel keeps open at once (HTTP/1.1 keep-alive and SSE streams, HTTP/2 connections); more are
    /// closed as they are accepted. Each holds a file descriptor and buffers, so an unbounded flood of idle connections
    /// could exhaust either; the default leaves room for the 10,000-stream benchmark.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentConnections { get; set; } = 16_384;

    /// <summary>
    /// Most upgraded (WebSocket) connections open at once, counted apart from <see cref="MaxConcurrentConnections"/>
    /// once upgraded; a handshake beyond it is a 503.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentUpgradedConnections { get; set; } = 4_096;

    /// <summary>Longest <c>Prefer: wait=N</c> honoured, in seconds.</summary>
    [Range(0, 3600)]
    public int MaxWaitSeconds { get; set; } = 300;

    /// <summary>
    /// Seconds between the start of a stop (SIGTERM) and closing the listeners: requests are still served but
    /// <c>/health/ready</c> answers 503, so a load balancer takes the node out of rotation first. Counts against
    /// the host's <c>ShutdownTimeout</c>, so it must be less than it (<see cref="Hosting.ShutdownDelayValidator"/>).
    /// </summary>
    [Range(0, 3600)]
    public int ShutdownDelaySeconds { get; set; }
}
