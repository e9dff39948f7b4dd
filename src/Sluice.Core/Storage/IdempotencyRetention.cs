namespace Sluice.Core.Storage;

/// <summary>
/// The bound of a store's <c>IdempotencyRetention</c>: the hourly maintenance forgets idempotency keys (and durable cache
/// entries) older than <see cref="Max"/>, so a longer retention would do nothing, and one of zero or less turned
/// idempotency off.
/// </summary>
public static class IdempotencyRetention
{
    /// <summary>The age past which the maintenance purges idempotency keys and durable cache entries.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromHours(24);

    /// <summary>Above zero and at most <see cref="Max"/>.</summary>
    public static bool IsValid(TimeSpan retention) => retention > TimeSpan.Zero && retention <= Max;
}
