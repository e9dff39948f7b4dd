using System.Text.RegularExpressions;
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
    /// A parser message with the expected type said in words ("a whole number", not <c>System.Nullable`1[System.Int32]</c>)
    /// and a pointer to the help the parser no longer prints.
    /// </summary>
    public static string DescribeParseError(string message)
    {
        var described = ExpectedType().Replace(message, static m => "as " + Server.Hosting.TypeInWords.Describe(m.Groups[1].Value));

        // One line, as every error: the parser lists allowed values one per line ("Must be one of:\n\t'high'\n\t'low'").
        var lines = described.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        described = lines.Length == 1 ? lines[0] : lines[0] + " " + string.Join(", ", lines[1..]);
        return described.TrimEnd('.') + " (see --help)";
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
