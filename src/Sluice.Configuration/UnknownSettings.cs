using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Sluice.Configuration;

/// <summary>
/// Keys of a section bound to options classes that none of those classes has (<c>Sluice:Cache:MaxByte</c>,
/// <c>Blog:SluiceUrll</c>): the binder ignores them, so a misspelt setting silently leaves its default in place. The
/// server and the blog both warn about them at start with these messages.
/// </summary>
public static class UnknownSettings
{
    /// <summary>The settings an options class binds: its writable public properties (a computed one is not a setting).</summary>
    public static IEnumerable<string> SettingsOf(Type optionsType) =>
        optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name);

    /// <summary>
    /// Adds to <paramref name="problems"/> one message per key of <paramref name="section"/> that none of
    /// <paramref name="types"/> has, naming the key, the section's settings and the nearest of them; the entries of a
    /// list or a map of options objects (<c>Sluice:Auth:Keys:0:Kye</c>) are checked against their element type.
    /// </summary>
    public static void Check(IConfigurationSection section, IReadOnlyList<Type> types, List<string> problems)
    {
        var settings = types.SelectMany(SettingsOf).ToList();
        foreach (var child in section.GetChildren())
        {
            // Configuration keys match properties case-insensitively.
            var property = types.Select(t => t.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase))
                .FirstOrDefault(p => p is { CanWrite: true });
            if (property is null)
            {
                problems.Add($"{child.Path} is not a setting of {section.Path} (its settings: {string.Join(", ", settings)}); it is ignored.{SettingNameHint.DidYouMean(child, settings)}");
            }
            else if (EntryType(property.PropertyType) is { } entry)
            {
                // A list (Sluice:Auth:Keys:0, :1 …) or a map keyed by name: the index or name is free, the keys of each entry are the entry type's settings.
                foreach (var item in child.GetChildren())
                {
                    Check(item, [entry], problems);
                }
            }
        }
    }

    /// <summary>
    /// The options class held by a list, an array or a string-keyed map (<c>List&lt;ApiKeyOptions&gt;</c>, <c>BackendsOptions</c>); null for
    /// anything else. Collections of plain values are free-form and not descended into: <c>Sluice:Engine:ModelsPaths</c>
    /// holds folders under indices, and <c>Sluice:Tasks:Models</c> maps task names to model names, whose names
    /// the task model resolver checks against the task catalog, as only it knows the tasks.
    /// </summary>
    public static Type? EntryType(Type type)
    {
        Type? element = type.IsArray ? type.GetElementType() : null;
        // BackendsOptions is a Dictionary<string, BackendOptions> by inheritance.
        for (var t = type; element is null && t is not null; t = t.BaseType)
        {
            if (!t.IsGenericType)
            {
                continue;
            }

            var definition = t.GetGenericTypeDefinition();
            if (definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(IReadOnlyList<>) || definition == typeof(IEnumerable<>))
            {
                element = t.GetGenericArguments()[0];
            }
            else if (definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
            {
                element = t.GetGenericArguments()[1];
            }
        }

        // Only the options classes of this product have settings to check; a string, a number or a TimeSpan has none.
        return element is { IsClass: true } && element != typeof(string) && element.Namespace?.StartsWith("Sluice", StringComparison.Ordinal) == true ? element : null;
    }
}
