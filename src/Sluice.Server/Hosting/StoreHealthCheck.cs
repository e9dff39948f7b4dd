using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sluice.Core.Storage;

namespace Sluice.Server.Hosting;

/// <summary>
/// Ready only while the job store can take work: a store that can check its writes (<see cref="IJobStoreWriteCheck"/>)
/// is asked whether it can write, since a full disk or a database made read-only still answers lookups while every
/// submit fails; any other store, a primary-key lookup. Both with a short timeout. The answer is
/// reused for a moment, so frequent probes from several sources do not each cost a query (or each wait out a timeout).
/// </summary>
internal sealed class StoreHealthCheck(IJobStore store, TimeProvider time) : IHealthCheck
{
    /// <summary>Longest wait for the store: below a Kubernetes probe's default 1 s timeout, so the probe reads our answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(800);

    /// <summary>How long an answer is reused.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _last;
    private long _lastAt;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            // Concurrent probes share the query in flight; a finished answer is reused for CacheFor.
            if (_last is null || (_last.IsCompleted && time.GetElapsedTime(_lastAt) > CacheFor))
            {
                _lastAt = time.GetTimestamp();
                _last = ProbeAsync();
            }

            return _last;
        }
    }

    private async Task<HealthCheckResult> ProbeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(Timeout, time);
            if (store is IJobStoreWriteCheck writes)
            {
                await writes.CheckWritableAsync(timeout.Token).AsTask().WaitAsync(Timeout, time).ConfigureAwait(false);
                return HealthCheckResult.Healthy("the job store writes");
            }

            await store.GetAsync("job_health_probe", timeout.Token).AsTask().WaitAsync(Timeout, time).ConfigureAwait(false);
            return HealthCheckResult.Healthy("the job store answers");
        }
        catch (StoreUnavailableException ex)
        {
            // The store's own words say what fails ("the job store cannot write now: … disk is full").
            return HealthCheckResult.Unhealthy(ex.Message.Split('\n')[0]);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"the job store did not answer within {Timeout.TotalSeconds:0.0} s");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return HealthCheckResult.Unhealthy("the job store is unreachable: " + ex.Message.Split('\n')[0]);
        }
    }
}
