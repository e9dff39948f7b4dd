using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Apis;

/// <summary>
/// /metrics carries the process and runtime series every Prometheus client exports (what a dashboard's memory, CPU and
/// GC panels read), with values of the serving process itself.
/// </summary>
public sealed class ProcessMetricsTests
{
    [Fact]
    public async Task Metrics_ProcessAndRuntimeSeries_ReportThisProcess()
    {
        await using var server = await TestServer.StartAsync();

        var first = await server.Client.GetStringAsync("/metrics");
        // Work between the scrapes that the counters must see: CPU time and allocations.
        var spin = Stopwatch.StartNew();
        var junk = new List<byte[]>();
        while (spin.ElapsedMilliseconds < 100)
        {
            junk.Add(new byte[1024]);
        }

        var second = await server.Client.GetStringAsync("/metrics");

        // The test runs the server in its own process, so the values are this process's.
        var start = Value(second, "process_start_time_seconds");
        using (var self = Process.GetCurrentProcess())
        {
            Assert.Equal(new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0, start, 2);
        }

        Assert.InRange(Value(second, "process_resident_memory_bytes"), 16.0 * 1024 * 1024, 64.0 * 1024 * 1024 * 1024);
        Assert.True(Value(second, "process_virtual_memory_bytes") >= Value(second, "process_resident_memory_bytes"));
        Assert.True(Value(second, "process_cpu_seconds_total") > Value(first, "process_cpu_seconds_total"), "CPU time spent between the scrapes");
        Assert.True(Value(second, "dotnet_gc_heap_total_allocated_bytes_total") >= Value(first, "dotnet_gc_heap_total_allocated_bytes_total") + (junk.Count * 1024.0));
        Assert.True(Value(second, "dotnet_thread_pool_threads") >= 1);
        foreach (var generation in new[] { "gen0", "gen1", "gen2" })
        {
            Assert.True(Value(second, "dotnet_gc_collections_total{gc_heap_generation=\"" + generation + "\"}") >= 0);
        }

        Assert.True(Value(second, "dotnet_gc_last_collection_heap_size_bytes{gc_heap_generation=\"loh\"}") >= 0);
        if (OperatingSystem.IsLinux())
        {
            Assert.True(Value(second, "process_open_fds") >= 3);
            Assert.True(Value(second, "process_max_fds") >= Value(second, "process_open_fds"));
        }
    }

    [Fact]
    public async Task Metrics_OpenMetrics_ProcessCpuIsACounterInSeconds()
    {
        await using var server = await TestServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse("application/openmetrics-text; version=1.0.0"));

        using var response = await server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Contains("\n# TYPE process_cpu_seconds counter\n# UNIT process_cpu_seconds seconds\n", text, StringComparison.Ordinal);
        Assert.Contains("\nprocess_cpu_seconds_total ", text, StringComparison.Ordinal);
        Assert.Contains("\n# TYPE process_resident_memory_bytes gauge\n", text, StringComparison.Ordinal);
    }

    /// <summary>The value of the sample named exactly <paramref name="series"/> (name and labels as written).</summary>
    private static double Value(string text, string series)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        throw new Xunit.Sdk.XunitException("no sample " + series + " in:\n" + text);
    }
}
