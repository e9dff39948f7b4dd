using Sluice.Core.Caching;
using Sluice.Core.Configuration;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;
using Sluice.Engine.Serving;
using Sluice.Postgres;
using Sluice.RabbitMq;
using Sluice.Server.Http;
using Sluice.Sqlite;

namespace Sluice.Server.Hosting;

/// <summary>
/// Keys of the sections bound to fixed options classes that none of those classes has (<c>Sluice:Cache:MaxByte</c>,
/// <c>Sluice:Queue:Capacity</c>): the binder ignores them, so a misspelt setting silently left its default in place.
/// Warnings at start, as for a <c>Sluice:Models</c> section naming no model: the server still runs on the defaults.
/// (<c>Sluice:BuiltIns</c> refuses unknown keys outright; the sections keyed by name are checked by their own owners.)
/// </summary>
internal sealed class UnknownSettingsCheck(IConfiguration configuration) : IConfigurationProblemSource
{
    /// <summary>Every options class bound to a fixed section; a section bound by two (Sluice:Queue) has the settings of both.</summary>
    private static readonly Type[] s_options =
    [
        typeof(CacheOptions), typeof(HttpOptions), typeof(RetryOptions), typeof(InProcessQueueOptions), typeof(RabbitMqOptions),
        typeof(SqliteStoreOptions), typeof(PostgresStoreOptions), typeof(EngineOptions),
    ];

    public IReadOnlyList<string> ConfigurationProblems()
    {
        var problems = new List<string>();
        foreach (var section in s_options.GroupBy(type => ServerStartException.SectionOf(type)!, StringComparer.Ordinal))
        {
            var settings = section.SelectMany(ServerStartException.SettingsOf).ToList();
            foreach (var child in configuration.GetSection(section.Key).GetChildren())
            {
                // Configuration keys match properties case-insensitively.
                if (!settings.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                {
                    problems.Add($"{section.Key}:{child.Key} is not a setting of {section.Key} (its settings: {string.Join(", ", settings)}); it is ignored.");
                }
            }
        }

        return problems;
    }
}
