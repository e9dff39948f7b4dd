namespace Sluice.Server.Admission;

/// <summary>One API key from configuration (<c>Sluice:Auth:Keys:N</c>).</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Stable id of the key: owner of its jobs, label of its metrics. Never the secret.</summary>
    public string Id { get; set; } = "";

    /// <summary>The secret in plain text (hashed at start and then forgotten); prefer <see cref="Sha256"/>.</summary>
    public string? Key { get; set; }

    /// <summary>Hex SHA-256 of the secret (<c>printf %s "$KEY" | sha256sum</c>).</summary>
    public string? Sha256 { get; set; }

    /// <summary>Sustained requests per second allowed to this key (0 = unlimited).</summary>
    public double RequestsPerSecond { get; set; }

    /// <summary>Bucket size: requests allowed in a burst.</summary>
    public double Burst { get; set; }

    /// <summary>Generated tokens per minute allowed to this key (0 = unlimited; used by token-metered endpoints).</summary>
    public double TokensPerMinute { get; set; }
}
