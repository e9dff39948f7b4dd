using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Sluice.Configuration;
using Sluice.Core.Configuration;
using Sluice.Core.Models;

namespace Sluice.Core.Scheduling;

/// <summary>
/// Every model this process knows, by name: discovered from all <see cref="IModelSource"/>s, with settings
/// from the candidate's defaults overridden by configuration <c>Sluice:Models:{name}:*</c>.
/// </summary>
public sealed class ModelRegistry : IConfigurationProblemSource
{
    /// <summary>
    /// The keys of a <c>Sluice:Models:{name}</c> section: Enabled and the settings of <see cref="SchedulerSettings"/>, which
    /// <see cref="Bind"/> reads, derived from the type (as the options classes' are) so that a new setting cannot be left
    /// out and warned about. <see cref="SchedulerSettings.ExpectedItemMs"/> is the model source's, never configured.
    /// </summary>
    private static readonly string[] s_modelSettings =
    [
        "Enabled",
        .. typeof(SchedulerSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.Name != nameof(SchedulerSettings.ExpectedItemMs)).Select(p => p.Name),
    ];

    private readonly ConcurrentDictionary<string, ModelEntry> _entries = new(StringComparer.Ordinal);
    private readonly List<ModelEntry> _ordered = [];
    private readonly List<string> _collisions = [];
    private readonly List<string> _unknownSettings = [];

    public ModelRegistry(IEnumerable<IModelSource> sources, IConfiguration configuration)
    {
        var offeredBy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var sourceName = SourceName(source);
            foreach (var candidate in source.Discover())
            {
                var section = configuration.GetSection("Sluice:Models:" + candidate.Name);
                if (string.Equals(section["Enabled"], "false", StringComparison.OrdinalIgnoreCase))
                {
                    // Sluice:Models:{name}:Enabled=false leaves a discovered model unloaded.
                    continue;
                }

                // Names are unique and the first source wins (built-ins, then the engine, then backends); a second
                // model of the same name is dropped, which must not go unnoticed.
                if (offeredBy.TryGetValue(candidate.Name, out var first))
                {
                    _collisions.Add($"model '{candidate.Name}' is offered by the {first} source and the {sourceName} source; the {first} one is kept and the {sourceName} one ignored. Rename one of them (a backend's model name is its Sluice:Backends:{{name}} key).");
                    continue;
                }

                offeredBy[candidate.Name] = sourceName;
                UnknownModelSettings(section);
                var entry = new ModelEntry(candidate, Bind(candidate.Defaults, section));
                if (_entries.TryAdd(candidate.Name, entry))
                {
                    _ordered.Add(entry);
                }
            }
        }

        // Configuration keys match case-insensitively, as GetSection above does; a disabled model is a known name.
        var known = new HashSet<string>(offeredBy.Keys, StringComparer.OrdinalIgnoreCase);
        foreach (var child in configuration.GetSection("Sluice:Models").GetChildren())
        {
            if (!known.Contains(child.Key) && !string.Equals(child["Enabled"], "false", StringComparison.OrdinalIgnoreCase))
            {
                _unknownSettings.Add($"Sluice:Models:{child.Key} names no model this server has (see GET /v1/models); its settings are ignored.");
            }
        }
    }

    /// <summary>Models dropped because an earlier source offered the same name, one message each (logged at start).</summary>
    public IReadOnlyList<string> Collisions => _collisions;

    /// <summary>
    /// <c>Sluice:Models:{name}</c> sections naming no discovered model (a misspelt name, a checkpoint missing on this
    /// machine) and keys of a model's section that are not model settings: without a word, the settings an operator
    /// tuned for the evening peak silently did nothing.
    /// </summary>
    public IReadOnlyList<string> ConfigurationProblems() => _unknownSettings;

    /// <summary>The keys a <c>Sluice:Models:{name}</c> section may have (listed in its warning and in README.md).</summary>
    internal static IReadOnlyList<string> ModelSettings => s_modelSettings;

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

    private static string SourceName(IModelSource source)
    {
        var name = source.GetType().Name;
        return name.EndsWith("ModelSource", StringComparison.Ordinal) && name.Length > "ModelSource".Length ? name[..^"ModelSource".Length].ToLowerInvariant() : name;
    }

    /// <summary>
    /// Keys of a model's section that <see cref="Bind"/> does not read (<c>Sluice:Models:essay-grader:MaxBatchSzie</c>):
    /// the model kept its default without a word, as the section's name was right. The warning names the closest setting,
    /// as those of the options sections do.
    /// </summary>
    private void UnknownModelSettings(IConfigurationSection section)
    {
        foreach (var child in section.GetChildren())
        {
            if (!s_modelSettings.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                _unknownSettings.Add($"{child.Path} is not a setting of a model (its settings: {string.Join(", ", s_modelSettings)}); it is ignored.{SettingNameHint.DidYouMean(child, s_modelSettings)}");
            }
        }
    }

    private static SchedulerSettings Bind(SchedulerSettings d, IConfigurationSection s)
    {
        var maxBatchSize = Int(s, nameof(SchedulerSettings.MaxBatchSize), d.MaxBatchSize, 1, 4096);
        // The declared full batch follows the batch size actually configured; an ExpectedBatchMs configured wins.
        var expectedBatchMs = Math.Max(0, d.ExpectedBatchMs + (d.ExpectedItemMs * (maxBatchSize - d.MaxBatchSize)));
        return new()
        {
            MaxBatchSize = maxBatchSize,
            MaxQueueDelayMs = Dbl(s, nameof(SchedulerSettings.MaxQueueDelayMs), d.MaxQueueDelayMs, 0, 60_000),
            MaxNumSeqs = Int(s, nameof(SchedulerSettings.MaxNumSeqs), d.MaxNumSeqs, 1, 4096),
            MaxQueueDepth = Int(s, nameof(SchedulerSettings.MaxQueueDepth), d.MaxQueueDepth, 1, 10_000_000),
            MaxAttempts = Int(s, nameof(SchedulerSettings.MaxAttempts), d.MaxAttempts, 1, 100),
            DefaultDeadlineMs = Int(s, nameof(SchedulerSettings.DefaultDeadlineMs), d.DefaultDeadlineMs, 0, int.MaxValue),
            ExpectedBatchMs = Dbl(s, nameof(SchedulerSettings.ExpectedBatchMs), expectedBatchMs, 0, 3_600_000),
            ExpectedItemMs = d.ExpectedItemMs,
        };
    }

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

        // Written as "not within" so that NaN, which parses and compares false with everything, is refused too: a
        // MaxQueueDelayMs of NaN failed the batcher's TimeSpan and left every job of the model queued without a word.
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || !(x >= min && x <= max))
        {
            throw new InvalidOperationException($"Configuration {s.Path}:{key} = '{v}' is invalid: expected a number from {min} to {max}.");
        }

        return x;
    }
}
