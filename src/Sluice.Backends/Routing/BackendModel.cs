using Sluice.Backends.Configuration;
using Sluice.Backends.Ollama;
using Sluice.Backends.Resilience;

namespace Sluice.Backends.Routing;

/// <summary>
/// One Sluice model served by a backend: its name, the upstream's name for it, the shared upstream and, for Ollama,
/// the upstream's shared tag digests.
/// </summary>
internal sealed record BackendModel(string Name, string UpstreamModel, BackendKind Kind, UpstreamClient Upstream, OllamaDigests? Digests = null)
{
    public BackendOptions Options => Upstream.Options;
}
