using Sluice.Backends.Health;
using Sluice.Core.Scheduling;

namespace Sluice.Server.Apis;

/// <summary>The <c>Retry-After</c> of a request a remote backend's open circuit refused.</summary>
internal static class CircuitRetry
{
    /// <summary>
    /// The time until <paramref name="model"/>'s circuit takes its next trial call, as it stands now (the job may have
    /// waited out retries since the refusal); zero (sent as 1 s) when the cooldown is over or the model has no circuit.
    /// </summary>
    public static TimeSpan After(ModelRegistry registry, string model) =>
        registry.TryGet(model, out var entry) && entry.Model is IBackendModel backend ? backend.Upstream.Health.UntilTrial : TimeSpan.Zero;
}
