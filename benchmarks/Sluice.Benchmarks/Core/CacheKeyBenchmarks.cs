using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Sluice.Core.Caching;

namespace Sluice.Benchmarks.Core;

/// <summary>
/// Result-cache key and idempotency body hash of one submit: the input (or body) normalised, object keys sorted,
/// then SHA-256. The input is a generation-shaped object of eight fields, one nested.
/// </summary>
[MemoryDiagnoser]
[ShortInProcessJob]
public class CacheKeyBenchmarks
{
    private const string Input = """
        {"prompt":"Once upon a time, there was a little girl named Lily.","max_tokens":64,"temperature":0,
         "top_p":0.9,"seed":42,"stop":["\n\n","The end"],"stream":false,"options":{"repeat_penalty":1.1,"min_p":0.05}}
        """;

    private JsonDocument? _input;
    private JsonDocument? _body;

    [GlobalSetup]
    public void Setup()
    {
        _input = JsonDocument.Parse(Input);
        _body = JsonDocument.Parse("{\"model\":\"story\",\"input\":" + Input + ",\"priority\":null,\"cache\":true}");
    }

    [Benchmark]
    public string CacheKey() => CacheKeys.For("story", "1", _input!.RootElement, "key-a");

    [Benchmark]
    public string BodyHash() => CacheKeys.BodyHash("POST /v1/jobs", _body!.RootElement, "priority", "deadline_ms", "cache");

    [GlobalCleanup]
    public void Cleanup()
    {
        _input?.Dispose();
        _body?.Dispose();
    }
}
