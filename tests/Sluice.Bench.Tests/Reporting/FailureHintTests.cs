using Sluice.Bench.Histograms;
using Sluice.Bench.Load;
using Sluice.Bench.Reporting;
using Sluice.Bench.Targets;

namespace Sluice.Bench.Tests.Reporting;

public sealed class FailureHintTests
{
    private static readonly TargetSpec s_spec = new() { Kind = TargetKind.Job, Url = new Uri("http://127.0.0.1:8080/"), Model = "nosuch" };

    private static StageSeries Series(long succeeded, params (string Status, long Count)[] failures)
    {
        long failed = failures.Sum(f => f.Count);
        var stage = new StageResult
        {
            Label = "c=1",
            Mode = LoadMode.Closed,
            MeasuredSeconds = 1,
            Sent = succeeded + failed,
            Succeeded = succeeded,
            Rejected = 0,
            Failed = failed,
            ThroughputPerSecond = succeeded,
            ByStatus = failures.ToDictionary(f => f.Status, f => f.Count),
            Latency = LatencySummary.Empty,
            SucceededLatency = LatencySummary.Empty,
        };
        return new StageSeries { Name = "s", Stages = [stage] };
    }

    [Fact]
    public void Describe_AllRefused_NamesTheUrlAndSuggestsServe()
    {
        string? hint = FailureHint.Describe([Series(0, ("connection_error", 7), ("timeout", 2))], s_spec);

        Assert.Equal("no request succeeded; most common failure (7 of 9): could not connect to http://127.0.0.1:8080/; start the server with ./sluice serve or pass --url", hint);
    }

    [Fact]
    public void Describe_AllNotFound_NamesTheModel()
    {
        string? hint = FailureHint.Describe([Series(0, ("404", 5))], s_spec);

        Assert.NotNull(hint);
        Assert.Contains("HTTP 404", hint);
        Assert.Contains("model 'nosuch'", hint);
    }

    [Fact]
    public void Describe_OneSuccessInAnyStage_ReturnsNull()
    {
        Assert.Null(FailureHint.Describe([Series(0, ("404", 5)), Series(1, ("404", 5))], s_spec));
    }

    [Fact]
    public void Describe_AllJobsFailed_PointsAtFailedAndDeadLetteredJobs()
    {
        // job_failed also counts jobs that ended dead_lettered, which --status failed does not list.
        string? hint = FailureHint.Describe([Series(0, ("job_failed", 4))], s_spec);

        Assert.NotNull(hint);
        Assert.Contains("--status failed", hint);
        Assert.Contains("--status dead_lettered", hint);
    }
}
