using Sluice.Backends.Configuration;
using Sluice.Core.BuiltIns;
using Sluice.Core.Caching;
using Sluice.Core.Configuration;
using Sluice.Core.Memory;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;
using Sluice.Engine.Serving;
using Sluice.Classification;
using Sluice.Configuration;
using Sluice.Grading;
using Sluice.Postgres;
using Sluice.RabbitMq;
using Sluice.Server.Admission;
using Sluice.Server.Http;
using Sluice.Server.Tracing;
using Sluice.Server.Tasks;
using Sluice.Sqlite;

namespace Sluice.Server.Hosting;

/// <summary>
/// Keys of the sections bound to fixed options classes that none of those classes has (<c>Sluice:Cache:MaxByte</c>,
/// <c>Sluice:Queue:Capacity</c>, <c>Sluice:Grading:ModelPth</c>): the binder ignores them, so a misspelt setting
/// silently left its default in place. Warnings at start, as for a <c>Sluice:Models</c> section naming no model: the
/// server still runs on the defaults. The entries of a list or a map of options objects (<c>Sluice:Auth:Keys:0:Kye</c>)
/// and of a section that is a map by name (<c>Sluice:Backends:{name}:BaseUrll</c>) are checked against the settings of
/// their element type. (<c>Sluice:BuiltIns</c> refuses unknown keys outright; the model names under <c>Sluice:Models</c> are
/// checked by the model registry, which knows the models.)
/// </summary>
internal sealed class UnknownSettingsCheck(IConfiguration configuration) : IConfigurationProblemSource
{
    /// <summary>Every options class bound to a fixed section; a section bound by two (Sluice:Queue) has the settings of both.</summary>
    private static readonly Type[] s_options =
    [
        typeof(CacheOptions), typeof(HttpOptions), typeof(RetryOptions), typeof(InProcessQueueOptions), typeof(RabbitMqOptions),
        typeof(SqliteStoreOptions), typeof(PostgresStoreOptions), typeof(EngineOptions), typeof(GradingOptions), typeof(ClassificationOptions), typeof(AuthOptions),
        typeof(TaskOptions), typeof(BackendsOptions), typeof(TracingOptions), typeof(MemoryOptions),
    ];

    /// <summary>The options classes whose sections are checked (also the settings the documentation must name).</summary>
    internal static IReadOnlyList<Type> OptionsTypes => s_options;

    /// <summary>
    /// The keys directly under <c>Sluice</c> that no section check looks at: the settings of <see cref="SchedulingOptions"/>
    /// (bound to <c>Sluice</c> itself), <c>Sluice:BuiltIns</c> and <c>Sluice:Models</c>, checked by their own owners.
    /// </summary>
    private static readonly string[] s_topLevel = [.. ServerStartException.SettingsOf(typeof(SchedulingOptions)), Child(BuiltInOptions.SectionName), "Models"];

    public IReadOnlyList<string> ConfigurationProblems()
    {
        var problems = new List<string>();
        // A misspelt section (Sluice:Qeue:Capacity, Sluice__Egnine__Threads) or top-level setting (Sluice:Rol) was
        // ignored without a word: the checks below only look inside the sections they know.
        var known = s_options.Select(type => Child(ServerStartException.SectionOf(type)!)).Concat(s_topLevel).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var child in configuration.GetSection("Sluice").GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"{child.Path} is not a setting or section of Sluice (they are: {string.Join(", ", known)}); it is ignored.{SettingNameHint.DidYouMean(child, known)}");
            }
        }

        foreach (var section in s_options.GroupBy(type => ServerStartException.SectionOf(type)!, StringComparer.Ordinal))
        {
            var root = configuration.GetSection(section.Key);
            if (section.Count() == 1 && UnknownSettings.EntryType(section.First()) is { } entry)
            {
                // A section that is itself a map by name (Sluice:Backends:{name}): each entry has the entry type's settings.
                foreach (var item in root.GetChildren())
                {
                    UnknownSettings.Check(item, [entry], problems);
                }
            }
            else
            {
                UnknownSettings.Check(root, [.. section], problems);
            }
        }

        return problems;
    }

    /// <summary>"Queue" for "Sluice:Queue".</summary>
    private static string Child(string sectionPath) => sectionPath[(sectionPath.LastIndexOf(':') + 1)..];
}
