using System.ComponentModel.DataAnnotations;

namespace Sluice.Postgres;

/// <summary>Options of the PostgreSQL store (section <c>Sluice:Store</c>).</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Store";

    /// <summary><c>postgres://user:pass@host:5432/db?key=value</c>; query keys are Npgsql connection-string keys.</summary>
    [Required]
    public string Url { get; set; } = "";

    /// <summary>Most pooled connections per process.</summary>
    [Range(1, 1000)]
    public int MaxPoolSize { get; set; } = 50;

    /// <summary>
    /// Seconds to wait for a connection. Short on purpose: while PostgreSQL is down, submits must fail fast
    /// with 503 instead of piling up behind a dead server.
    /// </summary>
    [Range(1, 60)]
    public int ConnectTimeoutSeconds { get; set; } = 2;

    /// <summary>Seconds one command may run.</summary>
    [Range(1, 600)]
    public int CommandTimeoutSeconds { get; set; } = 10;

    /// <summary>Extra tries of an operation that failed with a transient error (connection reset, failover).</summary>
    [Range(0, 10)]
    public int TransientRetries { get; set; } = 2;

    /// <summary>How long to wait at start for an unreachable server (compose or Kubernetes may start it later) before failing.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long idempotency keys are honoured.</summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a finished job (succeeded, failed, cancelled, expired) is kept, with its events and result, after it
    /// finished; a dead-lettered job is kept until requeued.
    /// </summary>
    public TimeSpan JobRetention { get; set; } = Core.Storage.JobRetention.Default;
}
