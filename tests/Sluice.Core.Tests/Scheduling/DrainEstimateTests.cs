using Sluice.Core.Models;
using Sluice.Core.Scheduling;
using Sluice.Testing;

namespace Sluice.Core.Tests.Scheduling;

/// <summary>
/// The Retry-After of a full queue before and after the model has timed itself. Every case runs on a
/// <see cref="ManualTimeProvider"/>: how long a batch has been running is moved by hand, never slept.
/// </summary>
public sealed class DrainEstimateTests
{
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void RetryAfter_NoBatchFinishedYet_UsesTheDurationTheModelDeclares()
    {
        var entry = Entry(ModelKind.Batch, new SchedulerSettings { MaxBatchSize = 10, ExpectedBatchMs = 5000 });

        // 100 queued = 10 full batches of 5 s; a tenth of them drains in 5 s (before, a flat 1 s: no timing data).
        Assert.Equal(TimeSpan.FromSeconds(5), DrainEstimate.RetryAfter(entry, 100, 0, _time));
        // A short queue still waits for one batch to end.
        Assert.Equal(TimeSpan.FromSeconds(5), DrainEstimate.RetryAfter(entry, 1, 0, _time));
    }

    [Fact]
    public void RetryAfter_UndeclaredModel_UsesTheDocumentedDefaultOfOneSecondPerBatch()
    {
        var entry = Entry(ModelKind.Batch, new SchedulerSettings { MaxBatchSize = 10 });

        Assert.Equal(1000, new SchedulerSettings().ExpectedBatchMs);
        Assert.Equal(TimeSpan.FromSeconds(10), DrainEstimate.RetryAfter(entry, 1000, 0, _time));
    }

    [Fact]
    public void RetryAfter_FirstBatchRunsLongerThanDeclared_GrowsWithTheRunningBatch()
    {
        var entry = Entry(ModelKind.Batch, new SchedulerSettings { MaxBatchSize = 10, ExpectedBatchMs = 2000 });
        entry.BusySince = _time.GetTimestamp();

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(2), DrainEstimate.RetryAfter(entry, 10, 0, _time));

        // Still running after 20 s: a batch takes at least that long, whatever was declared.
        _time.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(TimeSpan.FromSeconds(20), DrainEstimate.RetryAfter(entry, 10, 0, _time));

        // It ended without a timing recorded (the batcher stopped): back to the declared figure.
        entry.BusySince = ModelEntry.Idle;
        Assert.Equal(TimeSpan.FromSeconds(2), DrainEstimate.RetryAfter(entry, 10, 0, _time));
    }

    [Fact]
    public void RetryAfter_BatchesFinished_MeasuredDurationReplacesThePrior()
    {
        var entry = Entry(ModelKind.Batch, new SchedulerSettings { MaxBatchSize = 10, ExpectedBatchMs = 30_000 });
        entry.Latency.Observe(10, 3000);
        entry.Latency.Observe(10, 3000);

        // Measured 3 s per full batch: 200 queued = 20 batches, a tenth of them in 6 s. The 30 s guess is gone.
        Assert.Equal(TimeSpan.FromSeconds(6), DrainEstimate.RetryAfter(entry, 200, 0, _time));
        // Also when the running batch is older than the measurement says: measurements win once there are some.
        entry.BusySince = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(TimeSpan.FromSeconds(6), DrainEstimate.RetryAfter(entry, 200, 0, _time));
    }

    [Theory]
    [InlineData(0, 1_000_000, 1)]
    [InlineData(3_600_000, 1, 60)]
    [InlineData(500_000, 1_000_000, 60)]
    public void RetryAfter_AnyFigures_BoundedToOneToSixtySeconds(double expectedMs, int depth, int seconds)
    {
        var entry = Entry(ModelKind.Batch, new SchedulerSettings { MaxBatchSize = 8, ExpectedBatchMs = expectedMs });

        Assert.Equal(TimeSpan.FromSeconds(seconds), DrainEstimate.RetryAfter(entry, depth, 0, _time));
    }

    [Fact]
    public void RetryAfter_Generation_DeclaredRunThenStepsTimesMaxTokensThenMeasuredRuns()
    {
        var entry = Entry(ModelKind.Generative, new SchedulerSettings { MaxNumSeqs = 4, ExpectedBatchMs = 3000 });

        // Nothing timed: the run the model declares; 40 queued behind 4 slots = 10 runs, a tenth in 3 s.
        Assert.Equal(TimeSpan.FromSeconds(3), DrainEstimate.RetryAfter(entry, 40, 200, _time));

        // Steps timed (50 ms for a full batch), no sequence finished: a run is a step per token asked for, 200 × 50 ms.
        entry.Latency.Observe(4, 50);
        entry.Latency.Observe(4, 50);
        Assert.Equal(TimeSpan.FromSeconds(10), DrainEstimate.RetryAfter(entry, 40, 200, _time));
        // Without a max_tokens (a job input the model reads itself) the declared run stands.
        Assert.Equal(TimeSpan.FromSeconds(3), DrainEstimate.RetryAfter(entry, 40, 0, _time));

        // Sequences finished: their measured runs replace both estimates.
        entry.RunLatency.Observe(1, 4000);
        entry.RunLatency.Observe(1, 6000);
        Assert.Equal(TimeSpan.FromSeconds(5), DrainEstimate.RetryAfter(entry, 40, 200, _time));
    }

    private static ModelEntry Entry(ModelKind kind, SchedulerSettings settings) => new(
        new ModelCandidate { Name = "m", Kind = kind, LoadAsync = _ => throw new NotSupportedException() }, settings);
}
