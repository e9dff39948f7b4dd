using Sluice.Backends.Configuration;
using Sluice.Backends.Resilience;

namespace Sluice.Backends.Routing;

/// <summary>One Sluice model served by a backend: its name, the upstream's name for it, and the shared upstream.</summary>
internal sealed record BackendModel(string Name, string UpstreamModel, BackendKind Kind, UpstreamClient Upstream)
{
    public BackendOptions Options => Upstream.Options;
}
