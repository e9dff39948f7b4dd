namespace Sluice.Server.Admission;

/// <summary>
/// Token buckets per caller. The in-memory store limits one process; a shared store (PostgreSQL) makes the
/// limit hold across gateways so it does not become limit × gateways.
/// </summary>
public interface IRateLimitStore
{
    /// <summary>Takes <paramref name="cost"/> tokens from the bucket <paramref name="key"/> (rate per second, capacity burst).</summary>
    ValueTask<RateDecision> TryAcquireAsync(string key, double ratePerSecond, double burst, double cost, CancellationToken cancellationToken);

    /// <summary>
    /// Gives back <paramref name="amount"/> tokens taken earlier and not used (a generation reserved
    /// <c>max_tokens</c> and produced fewer), never above <paramref name="burst"/>. The default keeps the
    /// reservation, which errs on the safe side for stores that cannot refund.
    /// </summary>
    ValueTask ReturnAsync(string key, double ratePerSecond, double burst, double amount, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
