using Sluice.Core.Jobs;

namespace Sluice.Core.Tests.Scheduling;

public sealed class JobIdsTests
{
    [Fact]
    public void New_LaterTime_SortsAfter()
    {
        var a = JobIds.New(DateTimeOffset.FromUnixTimeMilliseconds(1_000));
        var b = JobIds.New(DateTimeOffset.FromUnixTimeMilliseconds(2_000));
        Assert.True(string.CompareOrdinal(a, b) < 0);
        Assert.True(JobIds.IsWellFormed(a));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("job_")]
    [InlineData("job_0000000000000000000000000I")]
    [InlineData("JOB_00000000000000000000000000")]
    [InlineData("job_000000000000000000000000000")]
    public void IsWellFormed_Malformed_False(string? id) => Assert.False(JobIds.IsWellFormed(id));
}
