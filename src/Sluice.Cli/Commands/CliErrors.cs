using System.CommandLine;
using System.Text.RegularExpressions;
using Sluice.Configuration;
using Sluice.Engine.Loading;

namespace Sluice.Cli.Commands;

/// <summary>
/// Tells the failures a user can act on (a missing file, an unreachable server, a bad value) from bugs: the first
/// become one readable line, the second keep their stack trace (<see cref="CliRunner"/>).
/// </summary>
internal static partial class CliErrors
{
    /// <summary>Key in <see cref="Exception.Data"/> under which <see cref="ServerUrlHandler"/> records the URL that failed.</summary>
    public const string UrlKey = "sluice.url";

    /// <summary>The one-line message for an expected failure, or null for one that is a bug.</summary>
    public static string? Describe(Exception ex) => ex switch
    {
        CliUsageException or ModelFormatException or Grading.Spelling.DictionaryNotFoundException or InvalidDataException or UriFormatException or FormatException or Server.Hosting.ServerStartException => ex.Message,
        HttpRequestException e => Unreachable(e),
        UnauthorizedAccessException e => QuotedPath().Match(e.Message) is { Success: true } m && Directory.Exists(m.Groups[1].Value)
            ? $"{m.Groups[1].Value} is a directory, not a file"
            : e.Message,
        IOException => ex.Message,
        ArgumentException e => WithoutParameter(e),
        _ => null,
    };

    /// <summary>
    /// The parser's errors as one line. A word where a command of a group was expected (<c>jobs lst</c>, <c>job list</c>)
    /// is named with the group's commands and the likely one, instead of "Required command was not provided" beside
    /// one "Unrecognized command or argument" per token; an unknown option gets the option within two typing slips.
    /// </summary>
    public static string DescribeParseErrors(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var unmatched = command.TreatUnmatchedTokensAsErrors ? parse.UnmatchedTokens : [];
        if (unmatched.Count > 0 && !unmatched[0].StartsWith('-') && command.Subcommands.Count > 0 && command.Arguments.Count == 0)
        {
            var names = command.Subcommands.Where(static c => !c.Hidden).Select(static c => c.Name).ToArray();
            return $"'{unmatched[0]}' is not a command of '{CommandPath(command)}' ({string.Join(", ", names)})" +
                $"{DidYouMean(unmatched[0], names)} (see --help)";
        }

        var messages = parse.Errors.Select(static e => DescribeParseError(e.Message)[..^SeeHelp.Length]).Distinct().ToList();
        if (unmatched.FirstOrDefault(static t => t.StartsWith('-')) is { } option)
        {
            var names = command.Options.Where(static o => !o.Hidden).SelectMany(static o => o.Aliases.Prepend(o.Name)).ToArray();
            var index = messages.FindIndex(m => m.EndsWith($"'{option}'", StringComparison.Ordinal));
            if (index >= 0)
            {
                messages[index] += DidYouMean(option, names);
            }
        }

        return string.Join("; ", messages) + SeeHelp;
    }

    /// <summary>
    /// A parser message with the expected type said in words ("a whole number", not <c>System.Nullable`1[System.Int32]</c>)
    /// and a pointer to the help the parser no longer prints.
    /// </summary>
    public static string DescribeParseError(string message)
    {
        var described = ExpectedType().Replace(message, static m => "as " + Server.Hosting.TypeInWords.Describe(m.Groups[1].Value));

        // One line, as every error: the parser lists allowed values one per line ("Must be one of:\n\t'high'\n\t'low'").
        var lines = described.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        described = lines.Length == 1 ? lines[0] : lines[0] + " " + string.Join(", ", lines[1..]);
        return described.TrimEnd('.') + SeeHelp;
    }

    private const string SeeHelp = " (see --help)";

    /// <summary>"; did you mean 'list'?" when one of <paramref name="names"/> is within two typing slips of <paramref name="word"/>.</summary>
    private static string DidYouMean(string word, IEnumerable<string> names) =>
        SettingNameHint.Closest(word, names) is { } best ? $"; did you mean '{best}'?" : "";

    /// <summary>"sluice jobs" for the jobs group: the root's own name is the host's executable (testhost in tests).</summary>
    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? symbol = command; symbol is Command c and not RootCommand; symbol = symbol.Parents.FirstOrDefault())
        {
            names.Insert(0, c.Name);
        }

        names.Insert(0, "sluice");
        return string.Join(' ', names);
    }

    /// <summary>The exit code for an expected failure: usage errors as System.CommandLine's, everything else 1.</summary>
    public static int ExitCode(Exception ex) => ex is CliUsageException ? CliUsageException.ExitCode : 1;

    private static string Unreachable(HttpRequestException e)
    {
        // A status code means the server answered; only a failed connection gets the hint.
        if (e.StatusCode is not null)
        {
            return e.Message;
        }

        var where = e.Data[UrlKey] is string url ? $"could not reach {url}" : "could not reach the server";
        return $"{where} ({e.Message}); start one with ./sluice serve or pass --url";
    }

    private static string WithoutParameter(ArgumentException e)
    {
        // ArgumentException appends " (Parameter 'x')" (and ArgumentOutOfRangeException a line with the value):
        // the parameter is an internal name, the value is worth keeping.
        var message = e.Message.Split('\n')[0].TrimEnd();
        if (e.ParamName is { } name)
        {
            var suffix = $" (Parameter '{name}')";
            if (message.EndsWith(suffix, StringComparison.Ordinal))
            {
                message = message[..^suffix.Length];
            }
        }

        return e is ArgumentOutOfRangeException { ActualValue: { } value } ? $"{message} (got {value})" : message;
    }

    [GeneratedRegex("as expected type '([^']+)'")]
    private static partial Regex ExpectedType();

    [GeneratedRegex("path '([^']+)'")]
    private static partial Regex QuotedPath();
}
