using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary>The console of <c>./sluice bench</c>: when output is redirected (logs, CI) the tables get 200 columns instead of 80.</summary>
internal static class BenchConsole
{
    public static IAnsiConsole Create()
    {
        IAnsiConsole console = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
        {
            console.Profile.Width = 200;
        }

        return console;
    }
}
