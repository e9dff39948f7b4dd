using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Sluice.Core.Metrics;

namespace Sluice.Core.Caching;

/// <summary>
/// In-memory LRU of result JSON bounded in bytes (string length × 2 plus key), in front of the store's durable
/// result cache. Only deterministic requests get a key, so a hit is always a correct answer.
/// </summary>
internal sealed class ResultCache
{
    private readonly Dictionary<string, LinkedListNode<(string Key, string Value)>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, string Value)> _lru = new();
    private readonly Lock _lock = new();
    private readonly long _maxBytes;
    private long _bytes;

    public ResultCache(IOptions<CacheOptions> options) => _maxBytes = options.Value.MaxBytes;

    /// <summary>As the other, also showing the LRU's size in /metrics (hits and misses alone could not show it within its bound).</summary>
    public ResultCache(IOptions<CacheOptions> options, SluiceMetrics metrics)
        : this(options)
    {
        metrics.CreateGauge<long>("sluice_cache_bytes", () => [new Measurement<long>(Bytes)], "Bytes held by the in-memory result cache (bounded by Sluice:Cache:MaxBytes).");
        metrics.CreateGauge<long>("sluice_cache_entries", () => [new Measurement<long>(Count)], "Results held by the in-memory result cache.");
    }

    /// <summary>Bytes held.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    public bool TryGet(string key, [NotNullWhen(true)] out string? value)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                value = node.Value.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    public void Put(string key, string value)
    {
        var size = SizeOf(key, value);
        if (size > _maxBytes)
        {
            return;
        }

        lock (_lock)
        {
            if (_map.TryGetValue(key, out var existing))
            {
                _bytes -= SizeOf(existing.Value.Key, existing.Value.Value);
                _lru.Remove(existing);
            }

            var node = _lru.AddFirst((key, value));
            _map[key] = node;
            _bytes += size;
            while (_bytes > _maxBytes && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove(last.Value.Key);
                _bytes -= SizeOf(last.Value.Key, last.Value.Value);
            }
        }
    }

    private static long SizeOf(string key, string value) => ((long)key.Length + value.Length) * 2 + 64;
}
