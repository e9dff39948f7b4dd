using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Sluice.Core.Models;

namespace Sluice.Core.Scheduling;

/// <summary>
/// Every model this process knows, by name: discovered from all <see cref="IModelSource"/>s, with settings
/// from the candidate's defaults overridden by configuration <c>Sluice:Models:{name}:*</c>.
/// </summary>
public sealed class ModelRegistry
{
    private readonly ConcurrentDictionary<string, ModelEntry> _entries = new(StringComparer.Ordinal);
    private readonly List<ModelEntry> _ordered = [];

    public ModelRegistry(IEnumerable<IModelSource> sources, IConfiguration configuration)
    {
        foreach (var source in sources)
        {
            foreach (var candidate in source.Discover())
            {
                var section = configuration.GetSection("Sluice:Models:" + candidate.Name);
                if (string.Equals(section["Enabled"], "false", StringComparison.OrdinalIgnoreCase))
                {
                    // Sluice:Models:{name}:Enabled=false leaves a discovered model unloaded.
                    continue;
                }

                var entry = new ModelEntry(candidate, Bind(candidate.Defaults, section));
                if (_entries.TryAdd(candidate.Name, entry))
                {
                    _ordered.Add(entry);
                }
            }
        }
    }

    /// <summary>Entries in discovery order.</summary>
    public IReadOnlyList<ModelEntry> All => _ordered;

    public bool TryGet(string name, [NotNullWhen(true)] out ModelEntry? entry) => _entries.TryGetValue(name, out entry);

    /// <summary>True when no model is still loading or warming (failed models are reported, not waited for).</summary>
    public bool AllSettled
    {
        get
        {
            foreach (var e in _ordered)
            {
                if (e.State is ModelState.Loading or ModelState.Warming)
                {
                    return false;
                }
            }

            return true;
        }
    }

    private static SchedulerSettings Bind(SchedulerSettings d, IConfigurationSection s) => new()
    {
        MaxBatchSize = Int(s, nameof(SchedulerSettings.MaxBatchSize), d.MaxBatchSize, 1, 4096),
        MaxQueueDelayMs = Dbl(s, nameof(SchedulerSettings.MaxQueueDelayMs), d.MaxQueueDelayMs, 0, 60_000),
        MaxNumSeqs = Int(s, nameof(SchedulerSettings.MaxNumSeqs), d.MaxNumSeqs, 1, 4096),
        MaxQueueDepth = Int(s, nameof(SchedulerSettings.MaxQueueDepth), d.MaxQueueDepth, 1, 10_000_000),
        MaxAttempts = Int(s, nameof(SchedulerSettings.MaxAttempts), d.MaxAttempts, 1, 100),
        DefaultDeadlineMs = Int(s, nameof(SchedulerSettings.DefaultDeadlineMs), d.DefaultDeadlineMs, 0, int.MaxValue),
    };

    private static int Int(IConfigurationSection s, string key, int fallback, int min, int max)
    {
        var v = s[key];
        if (v is null)
        {
            return fallback;
        }

        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) || x < min || x > max)
        {
            throw new InvalidOperationException($"Configuration {s.Path}:{key} = '{v}' is invalid: expected an integer from {min} to {max}.");
        }

        return x;
    }

    private static double Dbl(IConfigurationSection s, string key, double fallback, double min, double max)
    {
        var v = s[key];
        if (v is null)
        {
            return fallback;
        }

        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || x < min || x > max)
        {
            throw new InvalidOperationException($"Configuration {s.Path}:{key} = '{v}' is invalid: expected a number from {min} to {max}.");
        }

        return x;
    }
}
