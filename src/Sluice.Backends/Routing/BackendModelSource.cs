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
                Version = m.UpstreamModel,
                Defaults = generative
                    ? new SchedulerSettings { MaxNumSeqs = o.MaxConcurrency, MaxAttempts = 3 }
                    : new SchedulerSettings { MaxBatchSize = o.MaxBatchSize, MaxQueueDelayMs = o.MaxQueueDelayMs },
                LoadAsync = _ => ValueTask.FromResult(Create(m)),
            });
        }

        return list;
    }

    private static IModel Create(BackendModel m)
    {
        var o = m.Options;
        var descriptor = new ModelDescriptor
        {
            Name = m.Name,
            // The upstream's model name stands in for a version: a different upstream model never shares cached results.
            Version = $"{m.Upstream.Name}:{m.UpstreamModel}",
            Kind = m.Kind == BackendKind.KServeV2 ? ModelKind.Batch : ModelKind.Generative,
            Deterministic = o.Deterministic,
            Description = o.Description ?? $"{o.Type} backend '{m.UpstreamModel}' at {o.BaseUrl}",
            Metadata = new BackendMetadata(m.Upstream, m.UpstreamModel, o.Fallback),
        };
        return m.Kind switch
        {
            BackendKind.OpenAi => new RemoteGenerativeModel(descriptor, m.Upstream, new OpenAiProtocol(m.Upstream, m.UpstreamModel), o.MaxConcurrency),
            BackendKind.Ollama => new RemoteGenerativeModel(descriptor, m.Upstream, new OllamaProtocol(m.Upstream, m.UpstreamModel), o.MaxConcurrency),
            _ => new KServeV2Model(descriptor, m.Upstream, m.UpstreamModel, o.BatchDimension),
        };
    }
}
