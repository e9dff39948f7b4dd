using System.Collections.Concurrent;

namespace Sluice.Server.Admission;

/// <summary>Token buckets in process memory, refilled continuously from <see cref="TimeProvider"/> time.</summary>
internal sealed class InMemoryRateLimitStore(TimeProvider time) : IRateLimitStore
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    public ValueTask<RateDecision> TryAcquireAsync(string key, double ratePerSecond, double burst, double cost, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        var bucket = _buckets.GetOrAdd(key, static (_, s) => new Bucket(s.burst, s.now), (burst, now));
        lock (bucket)
        {
            var elapsed = time.GetElapsedTime(bucket.Updated, now).TotalSeconds;
            bucket.Tokens = Math.Min(burst, bucket.Tokens + (elapsed * ratePerSecond));
            bucket.Updated = now;
            // A tiny tolerance: refill is computed in floating point from clock ticks.
            if (bucket.Tokens + 1e-6 >= cost)
            {
                bucket.Tokens = Math.Max(0, bucket.Tokens - cost);
                return ValueTask.FromResult(new RateDecision(true, TimeSpan.Zero, bucket.Tokens));
            }

            var wait = ratePerSecond > 0 ? (cost - bucket.Tokens) / ratePerSecond : 60;
            return ValueTask.FromResult(new RateDecision(false, TimeSpan.FromSeconds(wait), bucket.Tokens));
        }
    }

    public ValueTask ReturnAsync(string key, double ratePerSecond, double burst, double amount, CancellationToken cancellationToken)
    {
        if (amount > 0 && _buckets.TryGetValue(key, out var bucket))
        {
            var now = time.GetTimestamp();
            lock (bucket)
            {
                var elapsed = time.GetElapsedTime(bucket.Updated, now).TotalSeconds;
                bucket.Tokens = Math.Min(burst, bucket.Tokens + (elapsed * ratePerSecond) + amount);
                bucket.Updated = now;
            }
        }

        return ValueTask.CompletedTask;
    }

    private sealed class Bucket(double tokens, long updated)
    {
        public double Tokens = tokens;
        public long Updated = updated;
    }
}
