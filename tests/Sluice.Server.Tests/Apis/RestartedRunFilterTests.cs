using Sluice.Server.Apis;

namespace Sluice.Server.Tests.Apis;

public sealed class RestartedRunFilterTests
{
    private static string Run(RestartedRunFilter filter, params string[] deltas)
    {
        var sent = "";
        foreach (var d in deltas)
        {
            Assert.True(filter.TryFilter(d, out var part));
            sent += part;
        }

        return sent;
    }

    [Fact]
    public void TryFilter_FirstRun_PassesEverything()
    {
        var filter = new RestartedRunFilter();
        filter.OnStarted();

        Assert.Equal("1 2 3", Run(filter, "1", " 2", " 3"));
    }

    [Fact]
    public void TryFilter_RestartRepeatingTheSameText_SendsOnlyWhatIsNew()
    {
        var filter = new RestartedRunFilter();
        filter.OnStarted();
        var first = Run(filter, "Once", " upon", " a");
        filter.OnStarted();

        // Token boundaries of the new run need not match the old ones.
        var second = Run(filter, "On", "ce up", "on a ti", "me");

        Assert.Equal("Once upon a time", first + second);
        Assert.Equal(" time", second);
    }

    [Fact]
    public void TryFilter_RestartWritingOtherText_ReportsDivergence()
    {
        var filter = new RestartedRunFilter();
        filter.OnStarted();
        Run(filter, "The cat");
        filter.OnStarted();

        Assert.True(filter.TryFilter("The ", out var part));
        Assert.Equal("", part);
        Assert.False(filter.TryFilter("dog", out _));
    }

    [Fact]
    public void OnStarted_SameAttemptNumberAgain_StillARestart()
    {
        // A run handed back at a server stop restarts with the attempt number it had: the second start is what counts.
        var filter = new RestartedRunFilter();
        filter.OnStarted();
        Run(filter, "1 2");
        filter.OnStarted();

        Assert.Equal(" 3", Run(filter, "1", " 2", " 3"));
    }

    [Fact]
    public void OnStarted_RestartBeforeAnyText_NothingToSkip()
    {
        var filter = new RestartedRunFilter();
        filter.OnStarted();
        filter.OnStarted();

        Assert.Equal("abc", Run(filter, "a", "bc"));
    }
}
