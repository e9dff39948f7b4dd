using Sluice.Cli.Commands;
using Spectre.Console;

namespace Sluice.Cli.Tests.Commands;

public sealed class BenchConsoleTests
{
    [Fact]
    public void Create_Redirected_WritesNoEscapeCodes()
    {
        var output = new StringWriter();

        var console = BenchConsole.Create(output, redirected: true);
        console.MarkupLine("[red]bench:[/] no request succeeded");

        Assert.Equal("bench: no request succeeded", output.ToString().TrimEnd());
        Assert.DoesNotContain('\u001b', output.ToString());
        Assert.Equal(200, console.Profile.Width);
    }
}
