namespace Sluice.Server.Admission;

/// <summary>
/// Token buckets per caller. The in-memory store limits one process; a shared store (PostgreSQL) makes the
/// limit hold across gateways so it does not become limit × gateways.
/// </summary>
public interface IRateLimitStore
{
    /// <summary>Takes <paramref name="cost"/> tokens from the bucket <paramref name="key"/> (rate per second, capacity burst).</summary>
    ValueTask<RateDecision> TryAcquireAsync(string key, double ratePerSecond, double burst, double cost, CancellationToken cancellationToken);
}
