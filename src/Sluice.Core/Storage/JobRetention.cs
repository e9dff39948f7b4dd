namespace Sluice.Core.Storage;

/// <summary>
/// The bounds of a store's <c>JobRetention</c>: how long a finished job (succeeded, failed, cancelled or expired) is
/// kept, with its events and result, before the hourly maintenance deletes it. A dead-lettered job is never deleted
/// by age: it waits for an operator to requeue it.
/// </summary>
public static class JobRetention
{
    /// <summary>A week: long enough to fetch a night's results after a weekend.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromDays(7);

    /// <summary>
    /// The idempotency retention's most (a day): a key is honoured for a day after its job was created, so its job,
    /// finished no earlier than created, is still there whenever the key answers with it.
    /// </summary>
    public static readonly TimeSpan Min = IdempotencyRetention.Max;

    /// <summary>Ten years: far enough for "keep", near enough that "now minus the retention" is a valid time.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(3650);

    /// <summary>Jobs deleted per statement: the SQLite writer and PostgreSQL's row locks are held for one batch at a time.</summary>
    public const int BatchSize = 1000;

    /// <summary>At least <see cref="Min"/> and at most <see cref="Max"/>.</summary>
    public static bool IsValid(TimeSpan retention) => retention >= Min && retention <= Max;
}
