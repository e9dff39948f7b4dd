using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Metrics;
using Sluice.Testing;

namespace Sluice.Core.Tests.Metrics;

/// <summary>
/// Pins a whole scrape, byte for byte, in both formats: counters, histograms with and without exemplars (and with the
/// buckets an instrument's advice names), gauges whose
/// series come and go between scrapes, escaped and non-ASCII labels and help, +Inf and NaN values. The golden files
/// were written by the exporter before it rendered UTF-8 straight into a buffer; a change to the exposition text must
/// change them on purpose.
/// </summary>
public sealed class PrometheusExporterGoldenTests : IDisposable
{
    /// <summary>Stands in for the exemplar's span id, which the test's activity chooses at random.</summary>
    private const string SpanIdPlaceholder = "SPANID";

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly SluiceMetrics _metrics;
    private readonly PrometheusExporter _exporter;
    private readonly ActivitySource _source = new("Sluice.Tests.Golden");
    private readonly ActivityListener _tracing;
    private readonly List<(string Queue, int Depth)> _queues = [("echo", 3), ("essay-grader", 0), ("模型", 7)];
    private string _spanId = "";

    public PrometheusExporterGoldenTests()
    {
        _tracing = new ActivityListener
        {
            ShouldListenTo = s => ReferenceEquals(s, _source),
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_tracing);
        _metrics = new SluiceMetrics(_services.GetRequiredService<IMeterFactory>());
        _exporter = new PrometheusExporter(_metrics, new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, 123, TimeSpan.Zero)));
        _metrics.CreateGauge("sluice_queue_depth", ObserveQueues, "Jobs waiting, by model: a \"quoted\" word, a back\\slash and a\nnew line.");
        _metrics.CreateGauge<long>("sluice_open_streams", static () => [new Measurement<long>(4)], "Open event streams.");
        _metrics.CreateGauge<double>("sluice_odd_values", static () => [new Measurement<double>(double.NaN, new KeyValuePair<string, object?>("kind", "nan")), new Measurement<double>(-0.25, new KeyValuePair<string, object?>("kind", "negative"))], "Gauge values that are not plain.");
        Record();
    }

    [Fact]
    public void Render_TextFormat_MatchesGolden()
    {
        var first = _exporter.Render(openMetrics: false);
        _queues.RemoveAt(1);
        var second = _exporter.Render(openMetrics: false);

        Assert.Equal(Golden("scrape.txt"), first);
        Assert.Equal(Golden("scrape-second.txt"), second);
    }

    [Fact]
    public void Render_OpenMetrics_MatchesGolden()
    {
        var first = _exporter.Render(openMetrics: true).Replace(_spanId, SpanIdPlaceholder, StringComparison.Ordinal);
        _queues.RemoveAt(1);
        var second = _exporter.Render(openMetrics: true).Replace(_spanId, SpanIdPlaceholder, StringComparison.Ordinal);

        Assert.Equal(Golden("scrape.openmetrics.txt"), first);
        Assert.Equal(Golden("scrape-second.openmetrics.txt"), second);
    }

    private IEnumerable<Measurement<int>> ObserveQueues()
    {
        foreach (var (queue, depth) in _queues)
        {
            yield return new Measurement<int>(depth, new KeyValuePair<string, object?>("model", queue));
        }
    }

    private void Record()
    {
        string[] routes = ["/v1/jobs", "/v1/jobs/{id}", "/v1/models/{model}/infer", "/metrics"];
        foreach (var route in routes)
        {
            foreach (var status in new[] { 200, 202, 429 })
            {
                _metrics.HttpRequests.Add(3, new("route", route), new("method", "GET"), new("status", status));
            }

            for (var i = 0; i < 20; i++)
            {
                _metrics.HttpDuration.Record(0.0004 * (i + 1) * (i + 1), new KeyValuePair<string, object?>("route", route));
            }
        }

        // Exemplars: measurements taken under a sampled span (trace id fixed, span id replaced by a placeholder).
        var parent = new ActivityContext(ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c"), ActivitySpanId.CreateFromString("b7ad6b7169203331"), ActivityTraceFlags.Recorded);
        using (var activity = _source.StartActivity("golden", ActivityKind.Server, parent))
        {
            _spanId = activity!.SpanId.ToHexString();
            _metrics.HttpDuration.Record(0.003, new KeyValuePair<string, object?>("route", "/v1/jobs"));
            _metrics.RunDuration.Record(1.75, new KeyValuePair<string, object?>("model", "essay-grader"));
            _metrics.RunDuration.Record(500, new KeyValuePair<string, object?>("model", "essay-grader"));
            _metrics.BatchSize.Record(8, new KeyValuePair<string, object?>("model", "essay-grader"));
            _metrics.JobDuration.Record(95, new("model", "essay-grader"), new("status", "succeeded"));
        }

        foreach (var model in new[] { "echo", "essay-grader", "story", "modèle \"ü\"\\\n" })
        {
            _metrics.BatchSize.Record(8, new KeyValuePair<string, object?>("model", model));
            _metrics.BatchSize.Record(1000, new KeyValuePair<string, object?>("model", model));
            _metrics.RunDuration.Record(0.02, new KeyValuePair<string, object?>("model", model));
            _metrics.QueueWait.Record(0.1 + 0.2, new KeyValuePair<string, object?>("model", model));
            _metrics.JobsFinished.Add(5, new("model", model), new("status", "succeeded"));
            _metrics.JobsSubmitted.Add(7, new("model", model), new("priority", 12345678901L));
            _metrics.TokensGenerated.Add(1, new KeyValuePair<string, object?>("model", model));
        }

        _metrics.JobsRerouted.Add(1, new("model", "m"), new("fallback", 1.5));
        _metrics.StepDuration.Record(double.PositiveInfinity, new KeyValuePair<string, object?>("model", "story"));
        _metrics.JobRetries.Add(2);
        // Its own buckets (the instrument's advice), past the 120 s the others stop at; beyond the last, only +Inf.
        _metrics.JobDuration.Record(0.3, new("model", "echo"), new("status", "succeeded"));
        _metrics.JobDuration.Record(4000, new("model", "story"), new("status", "expired"));
        _metrics.Rejections.Add(1, new KeyValuePair<string, object?>("reason", new string('r', 300)));
    }

    private static string Golden(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Metrics", "Golden", name), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));

    public void Dispose()
    {
        _exporter.Dispose();
        _metrics.Dispose();
        _services.Dispose();
        _tracing.Dispose();
        _source.Dispose();
    }
}
