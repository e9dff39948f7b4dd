using Sluice.Engine.Loading;

namespace Sluice.Cli.Commands;

/// <summary>Turns the engine's expected failures (bad file, bad argument) into one line on stderr and exit code 1.</summary>
internal static class EngineCliErrors
{
    public static Task<int> Run(Func<int> action)
    {
        try
        {
            return Task.FromResult(action());
        }
        catch (Exception ex) when (ex is ModelFormatException or FileNotFoundException or ArgumentException or IOException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return Task.FromResult(1);
        }
    }
}
