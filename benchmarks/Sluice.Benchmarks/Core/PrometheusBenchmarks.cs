using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Metrics;

namespace Sluice.Benchmarks.Core;

/// <summary>
/// The metrics every request records, as <c>RequestMetricsMiddleware</c> records them (a counter with route, method
/// and status; the duration histogram by route), a histogram with an <c>int</c> measurement (batch size), and one
/// <c>/metrics</c> scrape of a server that has seen 12 routes, 3 models and a few statuses, rendered as the endpoint
/// renders it (UTF-8 into a pooled buffer).
/// </summary>
[MemoryDiagnoser]
[ShortInProcessJob]
public class PrometheusBenchmarks
{
    private static readonly KeyValuePair<string, object?> Route = new("route", "/v1/jobs/{id}");
    private static readonly KeyValuePair<string, object?> Method = new("method", "GET");
    private static readonly KeyValuePair<string, object?> Model = new("model", "essay-grader");

    private ServiceProvider? _services;
    private SluiceMetrics? _metrics;
    private PrometheusExporter? _exporter;

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _metrics = new SluiceMetrics(_services.GetRequiredService<IMeterFactory>());
        _exporter = new PrometheusExporter(_metrics);
        string[] routes = ["/v1/jobs", "/v1/jobs/{id}", "/v1/jobs/{id}/events", "/v1/jobs/{id}/cancel", "/v1/models", "/v1/models/{model}/infer",
            "/v1/chat/completions", "/v1/completions", "/v1/essays/grade", "/health/ready", "/health/live", "/metrics"];
        foreach (var route in routes)
        {
            foreach (var status in new[] { 200, 202, 400, 429 })
            {
                _metrics.HttpRequests.Add(3, new("route", route), Method, new("status", status));
            }

            for (var i = 0; i < 20; i++)
            {
                _metrics.HttpDuration.Record(0.0004 * (i + 1) * (i + 1), new KeyValuePair<string, object?>("route", route));
            }
        }

        foreach (var model in new[] { "echo", "essay-grader", "story" })
        {
            _metrics.BatchSize.Record(8, new KeyValuePair<string, object?>("model", model));
            _metrics.RunDuration.Record(0.02, new KeyValuePair<string, object?>("model", model));
            _metrics.JobsFinished.Add(5, new("model", model), new("status", "succeeded"));
        }
    }

    /// <summary>What the request middleware records per request.</summary>
    [Benchmark]
    public void RecordRequest()
    {
        _metrics!.HttpRequests.Add(1, Route, Method, new KeyValuePair<string, object?>("status", 200));
        _metrics.HttpDuration.Record(0.0042, Route);
    }

    [Benchmark]
    public void ObserveBatchSize() => _metrics!.BatchSize.Record(8, Model);

    /// <summary>One scrape as <c>/metrics</c> renders it: UTF-8 into a pooled buffer.</summary>
    [Benchmark]
    public int RenderText() => Scrape(openMetrics: false);

    [Benchmark]
    public int RenderOpenMetrics() => Scrape(openMetrics: true);

    private int Scrape(bool openMetrics)
    {
        using var body = new PooledByteWriter();
        _exporter!.Render(body, openMetrics);
        return body.WrittenCount;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _exporter?.Dispose();
        _metrics?.Dispose();
        _services?.Dispose();
    }
}
