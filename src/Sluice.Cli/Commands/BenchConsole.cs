using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary>
/// The console of <c>./sluice bench</c>. When output is redirected (logs, CI) it writes plain text, without colour or
/// other escape codes, and the tables get 200 columns instead of 80.
/// </summary>
internal static class BenchConsole
{
    public static IAnsiConsole Create() => Create(Console.Out, Console.IsOutputRedirected);

    public static IAnsiConsole Create(TextWriter output, bool redirected)
    {
        if (!redirected)
        {
            return AnsiConsole.Console;
        }

        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 200;
        return console;
    }
}
