using Microsoft.Extensions.Options;

namespace Sluice.Server.Hosting;

/// <summary>
/// The server did not start: almost always configuration (a setting out of range, an unknown key, an invalid backend)
/// or the environment (the port is taken, the data folder is not writable). Its message is the cause in one line, so
/// the CLI can say it without a stack trace; the original exception is the inner one.
/// </summary>
public sealed class ServerStartException(Exception cause) : Exception("the server could not start: " + Describe(cause), cause)
{
    private static string Describe(Exception cause) => cause switch
    {
        OptionsValidationException v => string.Join("; ", v.Failures),
        _ => cause.Message.Split('\n')[0].TrimEnd(),
    };
}
