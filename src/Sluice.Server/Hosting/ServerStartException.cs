using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Sluice.Configuration;

namespace Sluice.Server.Hosting;

/// <summary>
/// The server did not start: almost always configuration (a setting out of range, an unknown key, an invalid backend)
/// or the environment (the port is taken, the data folder is not writable). Its message is the cause in one line, so
/// the CLI can say it without a stack trace; the original exception is the inner one.
/// </summary>
public sealed partial class ServerStartException(Exception cause) : Exception("the server could not start: " + Describe(cause), cause)
{
    /// <summary>
    /// The name of an options class's configuration section, its <c>SectionName</c> constant, which its registration
    /// binds (<c>BindConfiguration(CacheOptions.SectionName)</c>): a data-annotation failure names only the class and
    /// the property ("DataAnnotation validation failed for 'CacheOptions' members: 'MaxBytes' …"), not the setting an
    /// operator writes (<c>Sluice:Cache:MaxBytes</c>, <c>Sluice__Cache__MaxBytes</c>). Null for a class without one.
    /// </summary>
    internal static string? SectionOf(Type optionsType) =>
        optionsType.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field ? field.GetRawConstantValue() as string : null;

    private static string Describe(Exception cause) => cause switch
    {
        // Each failure is a sentence of its own ("… must be from 1 to 256."): joined as they are they read "….; Sluice:…".
        OptionsValidationException v => string.Join("; ", v.Failures.Select(f => NameTheSetting(v.OptionsType, f).TrimEnd().TrimEnd('.'))) + ".",
        InvalidOperationException when NameTheUnknownSettings(cause.Message) is { } named => named,
        InvalidOperationException when ConversionFailure().Match(cause.Message) is { Success: true } m =>
            $"{m.Groups["setting"].Value} = '{m.Groups["value"].Value}' is not {TypeInWords.Describe(m.Groups["type"].Value)}.",
        // A configuration file that does not parse: the outer message names only the file, the inner ones say where
        // ("Failed to load configuration from file '…/appsettings.json': Could not parse the JSON file: … LineNumber: 3 …").
        InvalidDataException { InnerException: not null } => string.Join(": ", Chain(cause).Select(static e => e.Message.Split('\n')[0].Trim().TrimEnd('.'))) + ".",
        _ => cause.Message.Split('\n')[0].TrimEnd(),
    };

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
        }
    }

    /// <summary>
    /// "Sluice:BuiltIns:CountMs: not a setting of Sluice:BuiltIns (its settings: Enabled, …)" for the binder's refusal of
    /// keys a section bound with <c>ErrorOnUnknownConfiguration</c> does not have, which names the class and the keys
    /// ("… not found on the instance of Sluice.Core.BuiltIns.BuiltInOptions: 'CountMs'"); null for any other message.
    /// </summary>
    private static string? NameTheUnknownSettings(string message)
    {
        var m = UnknownConfigurationFailure().Match(message);
        if (!m.Success || AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(m.Groups["type"].Value)).FirstOrDefault(t => t is not null) is not { } type
            || SectionOf(type) is not { } section)
        {
            return null;
        }

        var keys = m.Groups["keys"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(key => section + ":" + key.Trim('\''));
        return $"{string.Join(", ", keys)}: not a setting of {section} (its settings: {string.Join(", ", SettingsOf(type))})";
    }

    /// <summary>The settings an options class binds: its writable public properties (a computed one is not a setting).</summary>
    internal static IEnumerable<string> SettingsOf(Type optionsType) => UnknownSettings.SettingsOf(optionsType);

    /// <summary>"Sluice:Cache:MaxBytes: The field MaxBytes must be between …" for a data-annotation failure of a known section; other failures as they are.</summary>
    internal static string NameTheSetting(Type optionsType, string failure)
    {
        var m = DataAnnotationFailure().Match(failure);
        if (!m.Success || SectionOf(optionsType) is not { } section)
        {
            return failure;
        }

        var settings = string.Join(", ", m.Groups["members"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(member => section + ":" + member));
        return settings + ": " + m.Groups["error"].Value;
    }

    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<setting>[^']+)' to type '(?<type>[^']+)'\.$", RegexOptions.Singleline)]
    private static partial Regex ConversionFailure();

    [GeneratedRegex(@"^'ErrorOnUnknownConfiguration' was set on the provided BinderOptions, but the following properties were not found on the instance of (?<type>[^:\s]+): (?<keys>'.*')$")]
    private static partial Regex UnknownConfigurationFailure();

    [GeneratedRegex(@"^DataAnnotation validation failed for '[^']*' members: '(?<members>[^']*)' with the error: '(?<error>.*)'\.$", RegexOptions.Singleline)]
    private static partial Regex DataAnnotationFailure();
}
