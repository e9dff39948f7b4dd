using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Sluice.Server.Hosting;

/// <summary>
/// The server did not start: almost always configuration (a setting out of range, an unknown key, an invalid backend)
/// or the environment (the port is taken, the data folder is not writable). Its message is the cause in one line, so
/// the CLI can say it without a stack trace; the original exception is the inner one.
/// </summary>
public sealed partial class ServerStartException(Exception cause) : Exception("the server could not start: " + Describe(cause), cause)
{
    /// <summary>
    /// The configuration section of each options class checked by data annotations, whose own failure names only the
    /// class and the property ("DataAnnotation validation failed for 'CacheOptions' members: 'MaxBytes' …"), not the
    /// setting an operator writes (<c>Sluice:Cache:MaxBytes</c>, <c>Sluice__Cache__MaxBytes</c>).
    /// </summary>
    private static readonly Dictionary<Type, string> s_sections = new()
    {
        [typeof(Sluice.Core.Caching.CacheOptions)] = "Sluice:Cache",
        [typeof(Sluice.Core.BuiltIns.BuiltInOptions)] = "Sluice:BuiltIns",
        [typeof(Http.HttpOptions)] = "Sluice:Http",
        [typeof(Sluice.Sqlite.SqliteStoreOptions)] = "Sluice:Storage",
        [typeof(Sluice.Postgres.PostgresStoreOptions)] = "Sluice:Store",
        [typeof(Sluice.RabbitMq.RabbitMqOptions)] = "Sluice:Queue",
    };

    private static string Describe(Exception cause) => cause switch
    {
        OptionsValidationException v => string.Join("; ", v.Failures.Select(f => NameTheSetting(v.OptionsType, f))),
        _ => cause.Message.Split('\n')[0].TrimEnd(),
    };

    /// <summary>"Sluice:Cache:MaxBytes: The field MaxBytes must be between …" for a data-annotation failure of a known section; other failures as they are.</summary>
    internal static string NameTheSetting(Type optionsType, string failure)
    {
        var m = DataAnnotationFailure().Match(failure);
        if (!m.Success || !s_sections.TryGetValue(optionsType, out var section))
        {
            return failure;
        }

        var settings = string.Join(", ", m.Groups["members"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(member => section + ":" + member));
        return settings + ": " + m.Groups["error"].Value;
    }

    [GeneratedRegex(@"^DataAnnotation validation failed for '[^']*' members: '(?<members>[^']*)' with the error: '(?<error>.*)'\.$", RegexOptions.Singleline)]
    private static partial Regex DataAnnotationFailure();
}
