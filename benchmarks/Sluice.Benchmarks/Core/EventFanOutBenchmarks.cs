using BenchmarkDotNet.Attributes;
using Sluice.Core.Events;
using Sluice.Core.Jobs;

namespace Sluice.Benchmarks.Core;

/// <summary>
/// One job's stream through the in-process event hub with one subscriber: <c>queued</c> starts it, a subscriber joins,
/// <c>started</c> and <c>completed</c> are fanned out to it, and it reads all three (the replayed one and the two live).
/// </summary>
[MemoryDiagnoser]
[ShortInProcessJob]
public class EventFanOutBenchmarks
{
    private const string JobId = "job_01JD0000000000000000000000";
    private const string Completed = """{"status":"succeeded","result":{"text":"the quick brown fox jumps over the lazy dog","n":3}}""";

    private InMemoryJobEventHub? _hub;

    [GlobalSetup]
    public void Setup() => _hub = new InMemoryJobEventHub(TimeProvider.System);

    [Benchmark]
    public long AppendAndFanOut()
    {
        var hub = _hub!;
        hub.Append(JobId, JobEventTypes.Queued, """{"model":"echo","priority":"normal"}""");
        hub.TrySubscribe(JobId, 0, out var sub);
        hub.Append(JobId, JobEventTypes.Started, """{"attempt":1,"batch_size":1}""");
        hub.Append(JobId, JobEventTypes.Completed, Completed);
        long last = 0;
        while (sub!.Reader.TryRead(out var e))
        {
            last = e.Id;
        }

        sub.Dispose();
        hub.Forget(JobId);
        return last;
    }

    [GlobalCleanup]
    public void Cleanup() => _hub?.Dispose();
}
