using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Core.Memory;

namespace Sluice.Core.Tests.Memory;

/// <summary>When the trimmer collects: only after idle periods, each period while that returns memory, then ever more rarely.</summary>
public sealed class IdleMemoryTrimmerTests
{
    private const long MiB = 1024 * 1024;

    private static IdleMemoryTrimmer Trimmer(Func<long> collect) =>
        new(Options.Create(new MemoryOptions()), TimeProvider.System, NullLogger<IdleMemoryTrimmer>.Instance) { Collect = collect };

    [Fact]
    public void TryTrim_BusyPeriod_DoesNotCollect()
    {
        var collections = 0;
        var trimmer = Trimmer(() => { collections++; return 100 * MiB; });

        Assert.Equal(-1, trimmer.TryTrim(IdleMemoryTrimmer.IdleAllocationBytes + 1));
        Assert.Equal(0, collections);
    }

    [Fact]
    public void TryTrim_IdlePeriodsWhileTrimsReturnMemory_TrimsEveryPeriod()
    {
        var collections = 0;
        var trimmer = Trimmer(() => { collections++; return 100 * MiB; });

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(100 * MiB, trimmer.TryTrim(0));
        }

        Assert.Equal(3, collections);
    }

    [Fact]
    public void TryTrim_NeedlessTrims_WaitDoublingIdlePeriodsUpToTheCap()
    {
        var trimmer = Trimmer(() => IdleMemoryTrimmer.WorthwhileBytes - 1);
        var trimmedAt = new List<int>();

        for (var period = 0; period < 200; period++)
        {
            if (trimmer.TryTrim(IdleMemoryTrimmer.IdleAllocationBytes) >= 0)
            {
                trimmedAt.Add(period);
            }
        }

        // Waits of 1, 3, 7, 15, 31, 63 periods, then 63 again (MaxBackoffPeriods).
        Assert.Equal([0, 2, 6, 14, 30, 62, 126, 190], trimmedAt);
    }

    [Fact]
    public void TryTrim_BusyPeriodAfterNeedlessTrims_NextIdlePeriodTrimsAtOnce()
    {
        var trimmer = Trimmer(() => 0);
        trimmer.TryTrim(0);
        trimmer.TryTrim(0);
        trimmer.TryTrim(0);

        Assert.Equal(-1, trimmer.TryTrim(64 * MiB));
        Assert.Equal(0, trimmer.TryTrim(0));
    }
}
