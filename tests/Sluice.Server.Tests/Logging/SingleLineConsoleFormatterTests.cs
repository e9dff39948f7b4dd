using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Server.Hosting;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Logging;

/// <summary>
/// The server's console log (the simple formatter, single-line, as SluiceDefaults sets it) replaced LF but let a lone CR
/// through: a client's string logged with one moved a terminal's cursor back, and what followed it overwrote the line's
/// start with a forged entry.
/// </summary>
[Collection(ConsoleCaptureCollection.Name)]
public sealed class SingleLineConsoleFormatterTests
{
    [Fact]
    public async Task Log_ClientValueWithCrAndEscape_OneLineWithTheCharactersEscaped()
    {
        var builder = WebApplication.CreateBuilder();
        builder.AddSluiceServer();
        var original = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(TextWriter.Synchronized(captured));
        string output;
        try
        {
            await using (var app = builder.Build())
            {
                var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sluice.Test");
                using (logger.BeginScope("job \r{0}", "j1"))
                {
                    logger.LogWarning("model {Model} refused", "evil\r12:00:00.000 info: Sluice.Forged[0] all is well\u001b[2K");
                }

                await Poll.UntilAsync(() => Task.FromResult(captured.ToString().Contains("refused", StringComparison.Ordinal)),
                    () => "nothing logged: " + captured, TimeSpan.FromSeconds(10));
            }

            output = captured.ToString();
        }
        finally
        {
            Console.SetOut(original);
        }

        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("Sluice.Test", StringComparison.Ordinal));
        Assert.DoesNotContain('\r', line);
        Assert.DoesNotContain('\u001b', line);
        Assert.Contains("model evil\\u000d12:00:00.000 info: Sluice.Forged[0] all is well\\u001b[2K refused", line, StringComparison.Ordinal);
        Assert.Contains("job \\u000dj1", line, StringComparison.Ordinal);
    }
}
