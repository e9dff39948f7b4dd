using System.Security.Cryptography;
using System.Text;
using Sluice.Backends.Configuration;
using Sluice.Backends.Health;
using Sluice.Backends.KServe;
using Sluice.Backends.Ollama;
using Sluice.Backends.OpenAi;
using Sluice.Backends.Streaming;
using Sluice.Core.Models;

namespace Sluice.Backends.Routing;

/// <summary>Offers every backend model to the core: generative ones to the continuous batcher, KServe ones to the dynamic batcher.</summary>
internal sealed class BackendModelSource(BackendRegistry registry) : IModelSource
{
    public IReadOnlyList<ModelCandidate> Discover()
    {
        var list = new List<ModelCandidate>();
        foreach (var m in registry.Models)
        {
            var o = m.Options;
            var generative = m.Kind != BackendKind.KServeV2;
            list.Add(new ModelCandidate
            {
                Name = m.Name,
                Kind = generative ? ModelKind.Generative : ModelKind.Batch,
                Version = VersionOf(m),
                Defaults = generative
                    ? new SchedulerSettings { MaxNumSeqs = o.MaxConcurrency, MaxAttempts = 3 }
                    : new SchedulerSettings { MaxBatchSize = o.MaxBatchSize, MaxQueueDelayMs = o.MaxQueueDelayMs },
                LoadAsync = _ => ValueTask.FromResult(Create(m)),
            });
        }

        return list;
    }

    /// <summary>
    /// <c>{backend}:{upstream model}@{8 hex}</c>: the result cache keys on it, so it names what decides the answer. The
    /// upstream's model name alone let a backend pointed at another server (other weights under the same name) or
    /// another API, after a restart, answer from results the old one produced; the hash covers those settings.
    /// </summary>
    internal static string VersionOf(BackendModel m)
    {
        var o = m.Options;
        var identity = string.Join('\n', m.Kind.ToString(), o.BaseUrl.TrimEnd('/'), o.Api.ToUpperInvariant(), m.UpstreamModel,
            o.BatchDimension is { } b ? (b ? "1" : "0") : "");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(identity), hash);
        return $"{m.Upstream.Name}:{m.UpstreamModel}@{Convert.ToHexStringLower(hash[..4])}";
    }

    private static IModel Create(BackendModel m)
    {
        var o = m.Options;
        IStreamingProtocol? protocol = m.Kind switch
        {
            BackendKind.OpenAi => new OpenAiProtocol(m.Upstream, m.UpstreamModel),
            BackendKind.Ollama => new OllamaProtocol(m.Upstream, m.UpstreamModel, m.Digests!),
            _ => null,
        };
        var descriptor = new ModelDescriptor
        {
            Name = m.Name,
            Version = VersionOf(m),
            Kind = protocol is null ? ModelKind.Batch : ModelKind.Generative,
            Deterministic = o.Deterministic,
            Description = o.Description ?? $"{o.Type} backend '{m.UpstreamModel}' at {o.BaseUrl}",
            Metadata = new BackendMetadata(m.Upstream, m.UpstreamModel, o.Fallback, protocol),
        };
        return protocol is null
            ? new KServeV2Model(descriptor, m.Upstream, m.UpstreamModel, o.BatchDimension)
            : new RemoteGenerativeModel(descriptor, m.Upstream, protocol, o.MaxConcurrency);
    }
}
