namespace Sluice.Cli.Commands;

/// <summary>
/// A command-line value the command cannot use (out of range, unknown key, ...): <see cref="CliRunner"/> prints its
/// message as one <c>error:</c> line and exits with <see cref="ExitCode"/>, as System.CommandLine's own usage errors do.
/// </summary>
internal sealed class CliUsageException(string message) : Exception(message)
{
    /// <summary>The exit code of every usage error.</summary>
    public const int ExitCode = 2;
}
