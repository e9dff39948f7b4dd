using Npgsql;
using Sluice.Core.Storage;
using Sluice.Postgres;

namespace Sluice.Server.Admission;

/// <summary>
/// Per-key token buckets shared by every gateway through PostgreSQL, so the limit holds for the whole
/// deployment rather than per process. While PostgreSQL is unreachable (or did not answer its latest readiness check) the request is let through: the submit
/// itself then fails fast with 503 on the store, and reads keep working from what is cached.
/// </summary>
internal sealed class PostgresRateLimitStore(PostgresRateLimiter limiter) : IRateLimitStore
{
    public async ValueTask<RateDecision> TryAcquireAsync(string key, double ratePerSecond, double burst, double cost, CancellationToken cancellationToken)
    {
        try
        {
            var (allowed, remaining) = await limiter.TryTakeAsync(key, ratePerSecond, burst, cost, cancellationToken).ConfigureAwait(false);
            if (allowed)
            {
                return new RateDecision(true, TimeSpan.Zero, remaining);
            }

            var wait = ratePerSecond > 0 ? (cost - remaining) / ratePerSecond : 60;
            return new RateDecision(false, TimeSpan.FromSeconds(wait), remaining);
        }
        catch (Exception ex) when (ex is NpgsqlException or StoreUnavailableException)
        {
            // StoreUnavailableException: the store did not answer its latest write check, so the limiter did not wait for it either.
            return new RateDecision(true, TimeSpan.Zero, 0);
        }
    }
}
