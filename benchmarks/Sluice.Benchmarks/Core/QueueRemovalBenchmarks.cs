using BenchmarkDotNet.Attributes;
using Sluice.Core.Jobs;
using Sluice.Core.Queueing;

namespace Sluice.Benchmarks.Core;

/// <summary>
/// A wave of cancels against a deep embedded queue: <see cref="Depth"/> jobs queued, then every one removed by id
/// (<see cref="PriorityLanes.TryRemove"/>, which a DELETE, a deadline or a disconnect of a queued job calls under the
/// model queue's lock), newest first. Per operation: the whole wave, including the fill.
/// </summary>
[MemoryDiagnoser]
[ShortInProcessJob]
public class QueueRemovalBenchmarks
{
    private QueuedJob[] _jobs = [];

    [Params(1_000, 10_000)]
    public int Depth { get; set; } = 1_000;

    [GlobalSetup]
    public void Setup()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        _jobs = new QueuedJob[Depth];
        for (var i = 0; i < Depth; i++)
        {
            _jobs[i] = new QueuedJob { Id = "job" + i, Model = "m", Priority = JobPriority.Normal, InputJson = "{}", EnqueuedAt = t0.AddMilliseconds(i) };
        }
    }

    [Benchmark]
    public int FillThenRemoveEvery()
    {
        var lanes = new PriorityLanes(TimeSpan.FromSeconds(10));
        foreach (var job in _jobs)
        {
            lanes.Enqueue(job);
        }

        for (var i = _jobs.Length - 1; i >= 0; i--)
        {
            lanes.TryRemove(_jobs[i].Id, 0);
        }

        return lanes.Count;
    }
}
