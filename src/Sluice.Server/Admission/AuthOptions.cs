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
}
