using Sluice.Bench.Load;
using Sluice.Bench.Reporting;
using Sluice.Bench.Tests.Load;
using Spectre.Console;

namespace Sluice.Bench.Tests.Reporting;

public sealed class LiveProgressDisplayTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ShowAsync_RunningStage_ShowsCountsAndReturnsResult(bool interactive)
    {
        var output = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Ansi = AnsiSupport.No,
        });
        var runner = new LoadRunner(new DelayTarget(TimeSpan.FromMilliseconds(2)), new LoadOptions { Label = "c=2", Concurrency = 2, Duration = TimeSpan.FromSeconds(1) });
        var display = new LiveProgressDisplay(console, refresh: TimeSpan.FromMilliseconds(100));

        StageResult result = await display.ShowAsync(runner.GetProgress, runner.RunAsync());

        Assert.True(result.Sent > 0);
        string text = output.ToString();
        Assert.Contains("c=2", text, StringComparison.Ordinal);
        Assert.Contains(result.Sent.ToString(System.Globalization.CultureInfo.InvariantCulture), text, StringComparison.Ordinal);
    }
}
