using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Backends.Configuration;
using Sluice.Backends.Ollama;
using Sluice.Backends.Resilience;

namespace Sluice.Backends.Routing;

/// <summary>
/// The configured backends: one <see cref="UpstreamClient"/> per upstream and the Sluice models each serves
/// (one per backend, or one per Ollama tag when <c>Discover</c> is on).
/// </summary>
internal sealed partial class BackendRegistry : IDisposable
{
    private readonly Dictionary<string, BackendModel> _models = new(StringComparer.Ordinal);
    private readonly List<UpstreamClient> _upstreams = [];

    public BackendRegistry(IOptions<BackendsOptions> options, TimeProvider time, ILogger<BackendRegistry> logger)
    {
        foreach (var (name, o) in options.Value)
        {
            BackendKinds.TryParse(o.Type, out var kind);
            var upstream = new UpstreamClient(name, kind!.Value, o, time);
            _upstreams.Add(upstream);
            var digests = kind == BackendKind.Ollama ? new OllamaDigests() : null;
            if (kind == BackendKind.Ollama && o.Discover)
            {
                var tags = DiscoverOllama(upstream, logger);
                digests!.Record(tags);
                foreach (var tag in tags)
                {
                    var model = name + "." + OllamaTags.SluiceName(tag.Name);
                    _models.TryAdd(model, new BackendModel(model, tag.Name, kind.Value, upstream, digests));
                }

                continue;
            }

            _models.TryAdd(name, new BackendModel(name, o.UpstreamModel ?? name, kind.Value, upstream, digests));
        }
    }

    public IReadOnlyCollection<BackendModel> Models => _models.Values;

    public IReadOnlyList<UpstreamClient> Upstreams => _upstreams;

    public bool TryGet(string model, [NotNullWhen(true)] out BackendModel? backend) => _models.TryGetValue(model, out backend);

    public void Dispose()
    {
        foreach (var u in _upstreams)
        {
            u.Dispose();
        }
    }

    /// <summary>
    /// Asks Ollama for its models once at start (model sources are synchronous and discovery happens before the
    /// host runs); an Ollama that is down then serves no models until restart, which the log says.
    /// </summary>
    private static List<OllamaTag> DiscoverOllama(UpstreamClient upstream, ILogger logger)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Min(5, upstream.Options.RequestTimeoutSeconds)));
            return Task.Run(() => OllamaTags.ListAsync(upstream, cts.Token)).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is UpstreamException or OperationCanceledException or HttpRequestException)
        {
            Log.DiscoveryFailed(logger, ex, upstream.Name, upstream.Options.BaseUrl);
            return [];
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Backend {Backend}: cannot list Ollama models at {BaseUrl}; none registered")]
        public static partial void DiscoveryFailed(ILogger logger, Exception exception, string backend, string baseUrl);
    }
}
