using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Metrics;

namespace Sluice.Core.Tests.Metrics;

/// <summary>How measurements' label sets become series and sample lines (the exporter looks them up without a string per measurement).</summary>
public sealed class PrometheusExporterTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly SluiceMetrics _metrics;
    private readonly PrometheusExporter _exporter;

    public PrometheusExporterTests()
    {
        _metrics = new SluiceMetrics(_services.GetRequiredService<IMeterFactory>());
        _exporter = new PrometheusExporter(_metrics);
    }

    [Fact]
    public void Render_LabelValueWithQuoteBackslashAndNewline_Escaped()
    {
        _metrics.Rejections.Add(1, new KeyValuePair<string, object?>("reason", "a\"b\\c\nd"));

        Assert.Contains("sluice_rejections_total{reason=\"a\\\"b\\\\c\\nd\"} 1\n", _exporter.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_CounterNamedWithoutTotal_OpenMetricsSampleGetsTotalTextKeepsTheName()
    {
        var counter = _metrics.Meter.CreateCounter<long>("sluice_test_things", null, "Things counted by a test.");
        counter.Add(2);

        Assert.Contains("\nsluice_test_things_total 2\n", _exporter.Render(openMetrics: true), StringComparison.Ordinal);
        Assert.Contains("\nsluice_test_things 2\n", _exporter.Render(openMetrics: false), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_IntegerAndOtherLabelValues_WrittenInvariant()
    {
        _metrics.HttpRequests.Add(1, new("route", "/v1/jobs"), new("method", "POST"), new("status", 202));
        _metrics.JobsFinished.Add(1, new("model", "m"), new("status", 12345678901L));
        _metrics.JobsRerouted.Add(1, new("model", "m"), new("fallback", 1.5));

        var text = _exporter.Render();

        Assert.Contains("sluice_http_requests_total{route=\"/v1/jobs\",method=\"POST\",status=\"202\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("sluice_jobs_finished_total{model=\"m\",status=\"12345678901\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("sluice_jobs_rerouted_total{model=\"m\",fallback=\"1.5\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_SameLabelSetMeasuredAgain_OneSeries()
    {
        _metrics.BatchSize.Record(3, new KeyValuePair<string, object?>("model", "echo"));
        _metrics.BatchSize.Record(5, new KeyValuePair<string, object?>("model", "echo"));
        _metrics.BatchSize.Record(7, new KeyValuePair<string, object?>("model", "other"));

        var text = _exporter.Render();

        Assert.Contains("sluice_batch_size_count{model=\"echo\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("sluice_batch_size_sum{model=\"echo\"} 8\n", text, StringComparison.Ordinal);
        Assert.Contains("sluice_batch_size_count{model=\"other\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_LabelSetLongerThanItsStackBuffer_KeptWhole()
    {
        var model = new string('m', 300) + "\"" + new string('n', 300);
        _metrics.TokensGenerated.Add(4, new KeyValuePair<string, object?>("model", model));
        _metrics.TokensGenerated.Add(1, new KeyValuePair<string, object?>("model", model));

        Assert.Contains("sluice_tokens_generated_total{model=\"" + new string('m', 300) + "\\\"" + new string('n', 300) + "\"} 5\n", _exporter.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MeasurementWithoutTags_SampleWithoutLabels()
    {
        _metrics.JobRetries.Add(2);

        Assert.Contains("sluice_job_retries_total 2\n", _exporter.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_ObservableCounterScrapedTwice_WritesItsReportedTotalNotTheSumOfScrapes()
    {
        _metrics.Meter.CreateObservableCounter("sluice_test_seen_total", static () => 5L, description: "A running total a test reports.");

        _exporter.Render();
        var text = _exporter.Render();

        Assert.Contains("# TYPE sluice_test_seen_total counter\nsluice_test_seen_total 5\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_ObservableUpDownCounter_WrittenAsAGaugeOfItsValue()
    {
        _metrics.Meter.CreateObservableUpDownCounter("sluice_test_level", static () => 3L, description: "A level a test reports.");

        _exporter.Render();
        var text = _exporter.Render();

        Assert.Contains("# TYPE sluice_test_level gauge\nsluice_test_level 3\n", text, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _exporter.Dispose();
        _metrics.Dispose();
        _services.Dispose();
    }
}
