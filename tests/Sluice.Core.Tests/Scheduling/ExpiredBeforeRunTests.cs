using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;

namespace Sluice.Core.Tests.Scheduling;

public sealed class ExpiredBeforeRunTests
{
    [Fact]
    public void ExpiredBeforeRun_JobNeverStarted_SaysItCouldNotStart() =>
        Assert.Equal("deadline passed before the job could start", JobLifecycle.ExpiredBeforeRun(Job(attempts: 0)));

    [Theory]
    [InlineData(1, "deadline passed before the job could run again (after 1 attempt)")]
    [InlineData(2, "deadline passed before the job could run again (after 2 attempts)")]
    public void ExpiredBeforeRun_JobThatAlreadyRan_SaysItCouldNotRunAgain(int attempts, string expected) =>
        // Recovered after a crash, or waiting out a retry's backoff: it did start, and its record shows started_at.
        Assert.Equal(expected, JobLifecycle.ExpiredBeforeRun(Job(attempts)));

    [Fact]
    public void ExpiredBeforeRun_EntryWaitingOutItsRetryBackoff_CountsTheRunItStarted() =>
        // The entry that ran still says 0 attempts (the retried copy carries the run): it did start once.
        Assert.Equal("deadline passed before the job could run again (after 1 attempt)", JobLifecycle.ExpiredBeforeRun(Job(attempts: 0), ranThisCopy: true));

    private static QueuedJob Job(int attempts) => new()
    {
        Id = "job_1",
        Model = "echo",
        Priority = Sluice.Core.Jobs.JobPriority.Normal,
        InputJson = "{}",
        EnqueuedAt = DateTimeOffset.UnixEpoch,
        Attempts = attempts,
        MaxAttempts = 3,
        Owner = "anonymous",
    };
}
