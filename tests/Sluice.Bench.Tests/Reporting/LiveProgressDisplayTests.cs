using Sluice.Bench.Load;
using Sluice.Bench.Reporting;
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

        // A scripted stage rather than a real load run: how many requests a real run sends in its first second
        // depends on the thread pool of a busy test machine, and this test is about the display.
        StageResult expected = SampleRuns.ClosedLoop().Series[0].Stages[1];
        var polls = 0;
        LoadProgress Progress()
        {
            var n = Interlocked.Increment(ref polls);
            return new LoadProgress(expected.Label, TimeSpan.FromMilliseconds(100 * n), TimeSpan.FromSeconds(1), false, 4321, 4300, 0, 21, 2);
        }

        var display = new LiveProgressDisplay(console, refresh: TimeSpan.FromMilliseconds(50));
        StageResult result = await display.ShowAsync(Progress, Task.Delay(400).ContinueWith(_ => expected, TaskScheduler.Default));

        Assert.Same(expected, result);
        Assert.True(Volatile.Read(ref polls) >= 2, $"progress polled {polls} times");
        string text = output.ToString();
        Assert.Contains(expected.Label, text, StringComparison.Ordinal);
        Assert.Contains("4321", text, StringComparison.Ordinal);
        Assert.Contains(interactive ? "4300" : "ok=4300 rejected=0 failed=21 in-flight=2", text, StringComparison.Ordinal);
    }
}
