using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Sluice.Backends.Resilience;
using Sluice.Backends.Streaming;

namespace Sluice.Backends.Health;

/// <summary>
/// A model's metadata for <c>GET /v1/models</c>: fixed facts about its backend plus live ones (health, circuit,
/// calls in flight, the weights revision the upstream reports), read at the moment the list is rendered.
/// </summary>
internal sealed class BackendMetadata(UpstreamClient upstream, string upstreamModel, string? fallback, IStreamingProtocol? protocol = null)
    : IReadOnlyDictionary<string, string>
{
    private static readonly string[] s_keys = ["backend", "type", "base_url", "upstream_model", "revision", "health", "health_error", "in_flight", "max_concurrency", "fallback"];

    public int Count => Snapshot().Count;

    public IEnumerable<string> Keys => Snapshot().Keys;

    public IEnumerable<string> Values => Snapshot().Values;

    public string this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException(key);

    public bool ContainsKey(string key) => Snapshot().ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value) => Snapshot().TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private Dictionary<string, string> Snapshot()
    {
        var d = new Dictionary<string, string>(s_keys.Length, StringComparer.Ordinal)
        {
            ["backend"] = upstream.Name,
            ["type"] = upstream.Options.Type,
            ["base_url"] = upstream.Options.BaseUrl,
            ["upstream_model"] = upstreamModel,
            ["health"] = upstream.Health.State,
            ["in_flight"] = upstream.InFlight.ToString(CultureInfo.InvariantCulture),
            ["max_concurrency"] = upstream.Options.MaxConcurrency.ToString(CultureInfo.InvariantCulture),
        };
        if (protocol?.Revision is { } revision)
        {
            d["revision"] = revision;
        }

        if (upstream.Health.LastError is { } error && !upstream.Health.IsAvailable)
        {
            d["health_error"] = error;
        }

        if (fallback is not null)
        {
            d["fallback"] = fallback;
        }

        return d;
    }
}
