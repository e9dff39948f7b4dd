using System.CommandLine;

namespace Sluice.Cli.Commands;

/// <summary>
/// Parses and runs a command line. Every command's expected failures end here as one <c>error:</c> line on stderr
/// (<see cref="CliErrors"/>); anything else is a bug and keeps its stack trace, as does everything when
/// <see cref="DebugVariable"/> is set.
/// </summary>
internal static class CliRunner
{
    /// <summary>Set to 1 to print the stack trace of every failure.</summary>
    public const string DebugVariable = "SLUICE_DEBUG";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter? output = null, TextWriter? error = null)
    {
        error ??= Console.Error;

        // No response files: 'submit MODEL @file.json' is Sluice's own syntax, read by the command.
        var root = CommandCatalog.CreateRoot();
        var configuration = new ParserConfiguration { ResponseFileTokenReplacer = null };
        var parse = root.Parse(args, configuration);
        if (IsGroupWithoutCommand(parse))
        {
            // './sluice' or './sluice jobs' alone asks what there is to run: its help, as git and dotnet print their
            // usage, rather than the parser's "Required command was not provided".
            parse = root.Parse([.. args, "--help"], configuration);
        }

        if (parse.Errors.Count > 0)
        {
            // One error: line, as for every other failure, instead of the parser's messages and the whole help.
            await error.WriteLineAsync($"error: {CliErrors.DescribeParseErrors(parse)}").ConfigureAwait(false);

            return CliUsageException.ExitCode;
        }

        var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = error };
        invocation.ProcessTerminationTimeout = ProcessTerminationTimeout(parse.CommandResult.Command, invocation.ProcessTerminationTimeout);

        if (output is not null)
        {
            invocation.Output = output;
        }

        try
        {
            return await parse.InvokeAsync(invocation).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return 130; // Ctrl+C, as a shell reports SIGINT
        }
        catch (Exception ex)
        {
            var message = CliErrors.Describe(ex);
            if (message is null || IsDebug())
            {
                await error.WriteLineAsync($"Unhandled exception: {ex}").ConfigureAwait(false);
                return 1;
            }

            await error.WriteLineAsync($"error: {message}").ConfigureAwait(false);
            return CliErrors.ExitCode(ex);
        }
    }

    /// <summary>How long System.CommandLine lets a command run on after Ctrl+C or SIGTERM before it ends the process.</summary>
    internal static TimeSpan? ProcessTerminationTimeout(Command command, TimeSpan? standard)
    {
        if (command.Name == ServeCommand.Name)
        {
            // The server's host handles SIGTERM and Ctrl+C itself: it drains requests in flight and hands running jobs
            // back within its shutdown timeout. System.CommandLine would end the invocation two seconds after the
            // signal, and the process with it, in the middle of that drain.
            return null;
        }

        if (command.Name == "bench" && command.Parents.OfType<RootCommand>().Any())
        {
            // The bench stops sending at once but lets the requests in flight finish (--interrupt-grace), then writes
            // its results: two seconds ended the process before they were written.
            return BenchCommand.TerminationTimeout;
        }

        return standard;
    }

    /// <summary>A command that only groups others (the root, <c>jobs</c>, <c>grader</c> …) given nothing else.</summary>
    internal static bool IsGroupWithoutCommand(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        return parse.Errors.Count == 1 && parse.UnmatchedTokens.Count == 0 && command.Action is null && command.Subcommands.Count > 0;
    }

    private static bool IsDebug() => Environment.GetEnvironmentVariable(DebugVariable) is { Length: > 0 } v && v != "0";
}
