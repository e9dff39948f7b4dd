using Npgsql;

namespace Sluice.Postgres;

/// <summary>
/// Token buckets in PostgreSQL, shared by every gateway: one atomic function call per request refills from the
/// database clock and takes tokens under a row lock, so N gateways together admit the configured rate, not N
/// times it. Each call is also counted per key and minute (<c>key_usage</c>).
/// </summary>
public sealed class PostgresRateLimiter
{
    private readonly PostgresJobStore _store;

    internal PostgresRateLimiter(PostgresJobStore store) => _store = store;

    /// <summary>
    /// Takes <paramref name="cost"/> tokens; returns whether they were there and how many are left. Throws
    /// <see cref="Core.Storage.StoreUnavailableException"/> at once, sending nothing, while the store does not answer its write check.
    /// </summary>
    public async ValueTask<(bool Allowed, double Remaining)> TryTakeAsync(string key, double ratePerSecond, double burst, double cost, CancellationToken cancellationToken)
    {
        _store.ThrowIfNotAnswering();
        await using var conn = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT allowed, remaining FROM sluice_take_tokens(@k, @r, @b, @c)", conn);
        cmd.Parameters.AddWithValue("k", key);
        cmd.Parameters.AddWithValue("r", ratePerSecond);
        cmd.Parameters.AddWithValue("b", burst);
        cmd.Parameters.AddWithValue("c", cost);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetBoolean(0), reader.GetDouble(1));
    }
}
