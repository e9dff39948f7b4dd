using BenchmarkDotNet.Attributes;
using Sluice.Core.Jobs;
using Sluice.Server.Apis;

namespace Sluice.Benchmarks.Server;

/// <summary>
/// One SSE frame (<c>id</c>, <c>event</c> and <c>data</c> lines) written and flushed to the response body: a generation
/// delta (short data) and a completed essay grade (about 1 KB of data); the body here is <see cref="Stream.Null"/>.
/// </summary>
[MemoryDiagnoser]
[ShortInProcessJob]
public class SseWriterBenchmarks
{
    private static readonly JobEvent Delta = new("job_01JD0000000000000000000000", 17, JobEventTypes.Delta, """{"text":" the","tokens":1}""", DateTimeOffset.UnixEpoch);

    private static readonly JobEvent Completed = new("job_01JD0000000000000000000000", 42, JobEventTypes.Completed,
        "{\"status\":\"succeeded\",\"result\":{\"score\":4,\"feedback\":[" + string.Join(',', Enumerable.Range(0, 12).Select(i => $"{{\"kind\":\"spelling\",\"at\":{i * 37},\"message\":\"'alot' is written 'a lot'\"}}")) + "]}}",
        DateTimeOffset.UnixEpoch);

    private readonly SseWriter _writer = new(Stream.Null);

    [Benchmark]
    public ValueTask WriteDelta() => _writer.WriteEventAsync(Delta, CancellationToken.None);

    [Benchmark]
    public ValueTask WriteCompleted() => _writer.WriteEventAsync(Completed, CancellationToken.None);
}
