using Sluice.Backends.Resilience;

namespace Sluice.Backends.Health;

/// <summary>A model served by a backend: its upstream and how to probe it.</summary>
internal interface IBackendModel
{
    UpstreamClient Upstream { get; }

    /// <summary>Throws with the reason when the upstream is down or does not serve the model.</summary>
    Task ProbeAsync(CancellationToken cancellationToken);
}
