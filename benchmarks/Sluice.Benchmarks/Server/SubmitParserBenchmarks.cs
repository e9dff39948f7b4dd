using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Sluice.Server.Apis;

namespace Sluice.Benchmarks.Server;

/// <summary>
/// Field-by-field validation of a parsed <c>POST /v1/jobs</c> body with every field set (one of them null, as generated
/// clients send unset fields); the input is copied out of the request's document.
/// </summary>
[MemoryDiagnoser]
[ShortInProcessJob]
public class SubmitParserBenchmarks
{
    private const string Body = """
        {"model":"essay-grader","input":{"essay":"Dear Local Newspaper, I believe that computers have a positive effect on people.","prompt":1},
         "priority":"high","deadline_ms":30000,"cache":false,"fallback":null}
        """;

    private JsonDocument? _body;

    [GlobalSetup]
    public void Setup() => _body = JsonDocument.Parse(Body.Replace(",\"fallback\":null", ",\"priority\":null", StringComparison.Ordinal));

    [Benchmark]
    public bool ParseSubmit() => SubmitParser.TryParse(_body!.RootElement, out _, out _);

    [GlobalCleanup]
    public void Cleanup() => _body?.Dispose();
}
