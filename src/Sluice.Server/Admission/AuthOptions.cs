namespace Sluice.Server.Admission;

/// <summary>API keys and limits (section <c>Sluice:Auth</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Auth";

    /// <summary>Configured keys. With none, the server runs open (fine on loopback; see the README).</summary>
    public List<ApiKeyOptions> Keys { get; set; } = [];

    /// <summary>Requests per second for anonymous callers when no keys are configured (0 = unlimited).</summary>
    public double AnonymousRequestsPerSecond { get; set; }

    /// <summary>Burst for anonymous callers.</summary>
    public double AnonymousBurst { get; set; }

    /// <summary>Lifetime of a job's stream token (see <see cref="StreamTokens"/>), in seconds (10 to 86400).</summary>
    public int StreamTokenSeconds { get; set; } = 300;

    /// <summary>
    /// Secret that signs stream tokens, the same on every gateway (at least 32 characters). Unset: a random 32-byte
    /// secret is generated once and kept in the job store (SQLite file or PostgreSQL), which every gateway on that store
    /// reads, so tokens still verify across gateways and restarts; set it to sign with your own (it wins over the stored one).
    /// </summary>
    public string? StreamTokenSecret { get; set; }
}
