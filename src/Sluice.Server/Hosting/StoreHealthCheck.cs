using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sluice.Core.Health;
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

    private readonly CachedHealthProbe<IJobStore> _probe = new(ProbeAsync, Failed, Timeout, CacheFor, time);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        _probe.CheckAsync(store);

    private static async Task<HealthCheckResult> ProbeAsync(IJobStore store, CancellationToken timeout)
    {
        if (store is IJobStoreWriteCheck writes)
        {
            await writes.CheckWritableAsync(timeout).ConfigureAwait(false);
            return HealthCheckResult.Healthy("the job store writes");
        }

        await store.GetAsync("job_health_probe", timeout).ConfigureAwait(false);
        return HealthCheckResult.Healthy("the job store answers");
    }

    // /health/ready is anonymous: the answer gives a stable reason only, since the store's own words (Npgsql's) can name
    // the database host, port, user or database. The exception goes to the log with it (HealthTransitionLog, at a change).
    private static HealthCheckResult Failed(IJobStore store, Exception ex) => HealthCheckResult.Unhealthy(Reason(ex), ex);

    /// <summary>The public reason for a failed check: one of a few fixed strings, never the exception's text.</summary>
    internal static string Reason(Exception ex) => ex switch
    {
        TimeoutException or OperationCanceledException => "store not answering",
        StoreUnavailableException when Says(ex, "did not answer") => "store not answering",
        StoreUnavailableException when Says(ex, "cannot write now") =>
            Says(ex, "full") || Says(ex, "No space left") || Says(ex, "53100") || Says(ex, "held until") ? "store refusing writes: disk full"
            : Says(ex, "read-only") || Says(ex, "readonly") ? "store refusing writes: read-only"
            : "store refusing writes",
        _ => "store unreachable",
    };

    private static bool Says(Exception ex, string words) => ex.Message.Contains(words, StringComparison.OrdinalIgnoreCase);
}
