using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Sluice.Benchmarks;

/// <summary>
/// BenchmarkDotNet's ShortRun (one launch, 3 warm-up and 3 measured iterations) run in this process: the request-path
/// benchmarks take microseconds each, and the default toolchain would first rebuild the whole server single-threaded
/// (minutes on two cores) for a run that takes seconds. Allocation figures are the same in process.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class ShortInProcessJobAttribute : JobConfigBaseAttribute
{
    public ShortInProcessJobAttribute()
        : base(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess"))
    {
    }
}
