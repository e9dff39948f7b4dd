using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sluice.Core.Health;

/// <summary>
/// A health probe shared by the checks that ask for it: a check while a probe is in flight gets that probe's answer,
/// and a finished answer is reused for <see cref="CacheFor"/>, so frequent checks from several sources (load balancers,
/// Kubernetes, a dashboard) neither each cost the dependency a query nor each wait out a timeout. A probe is given
/// <see cref="Timeout"/> (its token is cancelled then, and it is waited for no longer), below a Kubernetes probe's
/// default 1 s, so the caller reads our answer rather than its own timeout. What the probe throws, a timeout included,
/// is turned into an answer by the owner (whose words name the dependency and what failed).
/// </summary>
/// <typeparam name="TState">
/// What the probe is asked about: an answer is reused only for the same instance (a newer failure to look into, by
/// reference, even if it reads the same), never for another.
/// </typeparam>
/// <param name="probe">Asks the dependency once; the token is cancelled at <paramref name="timeout"/>.</param>
/// <param name="failed">The answer when the probe throws: <see cref="TimeoutException"/> (or the token's cancellation) when it ran out of time.</param>
internal sealed class CachedHealthProbe<TState>(
    Func<TState, CancellationToken, Task<HealthCheckResult>> probe, Func<TState, Exception, HealthCheckResult> failed,
    TimeSpan timeout, TimeSpan cacheFor, TimeProvider time)
    where TState : class
{
    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _last;
    private TState? _lastState;
    private long _lastAt;

    /// <summary>Longest wait for a probe's answer.</summary>
    public TimeSpan Timeout { get; } = timeout;

    /// <summary>How long a finished answer is reused.</summary>
    public TimeSpan CacheFor { get; } = cacheFor;

    /// <summary>The answer about <paramref name="state"/>: the probe's in flight, a recent one's, or a new probe's.</summary>
    public Task<HealthCheckResult> CheckAsync(TState state)
    {
        lock (_gate)
        {
            // The age counts from the probe's start, so a slow answer is not held longer than a quick one.
            if (_last is null || (_last.IsCompleted && (!ReferenceEquals(_lastState, state) || time.GetElapsedTime(_lastAt) > CacheFor)))
            {
                _lastAt = time.GetTimestamp();
                _lastState = state;
                _last = ProbeAsync(state);
            }

            return _last;
        }
    }

    private async Task<HealthCheckResult> ProbeAsync(TState state)
    {
        try
        {
            using var cts = new CancellationTokenSource(Timeout, time);
            return await probe(state, cts.Token).WaitAsync(Timeout, time).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return failed(state, ex);
        }
    }
}
