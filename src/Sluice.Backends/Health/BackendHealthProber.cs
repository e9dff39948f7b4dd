using Microsoft.Extensions.Hosting;
using Sluice.Backends.Resilience;
using Sluice.Core.Scheduling;

namespace Sluice.Backends.Health;

/// <summary>
/// Probes every upstream on its own period (<c>HealthProbeIntervalSeconds</c>) through one of its loaded models,
/// so health reflects an upstream going down or coming back even while no traffic flows.
/// </summary>
internal sealed class BackendHealthProber(ModelRegistry models, TimeProvider time) : BackgroundService
{
    /// <summary>Granularity of the schedule; probes are due at most this late.</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var due = new Dictionary<UpstreamClient, DateTimeOffset>();
        var seen = new HashSet<UpstreamClient>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var now = time.GetUtcNow();
                seen.Clear();
                foreach (var entry in models.All)
                {
                    if (entry.Model is not IBackendModel backend || !seen.Add(backend.Upstream))
                    {
                        continue;
                    }

                    var interval = backend.Upstream.Options.HealthProbeIntervalSeconds;
                    if (interval <= 0)
                    {
                        continue;
                    }

                    if (!due.TryGetValue(backend.Upstream, out var at))
                    {
                        // Warm-up has just probed it.
                        due[backend.Upstream] = now + TimeSpan.FromSeconds(interval);
                        continue;
                    }

                    if (now >= at)
                    {
                        due[backend.Upstream] = now + TimeSpan.FromSeconds(interval);
                        await BackendProbe.RunAsync(backend.Upstream, backend.ProbeAsync, stoppingToken).ConfigureAwait(false);
                    }
                }

                await Task.Delay(Tick, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
