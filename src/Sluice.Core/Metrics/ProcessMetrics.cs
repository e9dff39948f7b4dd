using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Sluice.Core.Metrics;

/// <summary>
/// The process and .NET runtime series every Prometheus client exports beside an application's own, on the
/// <c>Sluice</c> meter so <see cref="PrometheusExporter"/> writes them: the standard <c>process_*</c> names of the
/// client libraries' process collectors (prometheus-net, client_golang: CPU, resident and virtual memory, start time,
/// open and maximum file descriptors) and the <c>dotnet_*</c> names the OpenTelemetry Prometheus exporter gives the
/// runtime's own <c>System.Runtime</c> meter (GC, thread pool, lock contention), so dashboards keep working when that
/// exporter (not available here) replaces this one (but for <c>dotnet_thread_pool_threads</c>: promtool's lint refuses a
/// gauge named <c>…_count</c>). Observed only when scraped; nothing is recorded per request.
/// </summary>
internal sealed class ProcessMetrics
{
    private static readonly string[] s_generations = ["gen0", "gen1", "gen2", "loh", "poh"];

    private readonly double _startTimeSeconds;

    public ProcessMetrics(SluiceMetrics metrics)
    {
        var meter = metrics.Meter;
        using (var process = Process.GetCurrentProcess())
        {
            _startTimeSeconds = new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
        }

        meter.CreateObservableCounter("process_cpu_seconds_total", static () => Environment.CpuUsage.TotalTime.TotalSeconds, "s", "Total user and system CPU time spent in seconds.");
        meter.CreateObservableGauge("process_resident_memory_bytes", static () => Environment.WorkingSet, "By", "Resident memory size in bytes.");
        meter.CreateObservableGauge("process_virtual_memory_bytes", VirtualMemoryBytes, "By", "Virtual memory size in bytes.");
        meter.CreateObservableGauge("process_start_time_seconds", () => _startTimeSeconds, "s", "Start time of the process since unix epoch in seconds.");
        if (OperatingSystem.IsLinux())
        {
            meter.CreateObservableGauge("process_open_fds", OpenFileDescriptors, description: "Number of open file descriptors.");
            meter.CreateObservableGauge("process_max_fds", MaxFileDescriptors, description: "Maximum number of open file descriptors.");
        }

        meter.CreateObservableCounter("dotnet_gc_collections_total", ObserveCollections, description: "The number of garbage collections that have occurred since the process started, by generation collected.");
        meter.CreateObservableCounter("dotnet_gc_heap_total_allocated_bytes_total", static () => GC.GetTotalAllocatedBytes(), "By", "The approximate number of bytes allocated on the managed GC heap since the process started.");
        meter.CreateObservableGauge("dotnet_gc_last_collection_memory_committed_size_bytes", static () => GC.GetGCMemoryInfo().TotalCommittedBytes, "By", "The amount of committed virtual memory in use by the .NET GC, as observed during the latest garbage collection.");
        meter.CreateObservableGauge("dotnet_gc_last_collection_heap_size_bytes", ObserveHeapSizes, "By", "The managed GC heap size (including fragmentation), as observed during the latest garbage collection, by generation.");
        meter.CreateObservableCounter("dotnet_gc_pause_time_seconds_total", static () => GC.GetTotalPauseDuration().TotalSeconds, "s", "The total amount of time paused in GC since the process started.");
        meter.CreateObservableGauge("dotnet_thread_pool_threads", static () => (long)ThreadPool.ThreadCount, description: "The number of thread pool threads that currently exist.");
        meter.CreateObservableGauge("dotnet_thread_pool_queue_length", static () => ThreadPool.PendingWorkItemCount, description: "The number of work items that are currently queued to be processed by the thread pool.");
        meter.CreateObservableCounter("dotnet_thread_pool_work_item_count_total", static () => ThreadPool.CompletedWorkItemCount, description: "The number of work items that the thread pool has completed since the process started.");
        meter.CreateObservableCounter("dotnet_monitor_lock_contentions_total", static () => Monitor.LockContentionCount, description: "The number of times there was contention when trying to acquire a monitor lock since the process started.");
    }

    private static long VirtualMemoryBytes()
    {
        using var process = Process.GetCurrentProcess();
        return process.VirtualMemorySize64;
    }

    private static Measurement<long>[] ObserveCollections()
    {
        // GC.CollectionCount(n) counts collections of generation n and above; OpenTelemetry's series count each
        // collection once, under the oldest generation it collected. Read again when a collection came between the
        // reads, or a gen2 collection would show as gen1 for one scrape and that counter would then go down.
        int gen2, gen1, gen0;
        do
        {
            gen2 = GC.CollectionCount(2);
            gen1 = GC.CollectionCount(1);
            gen0 = GC.CollectionCount(0);
        }
        while (gen2 != GC.CollectionCount(2) || gen1 != GC.CollectionCount(1));

        return
        [
            new(gen0 - gen1, new KeyValuePair<string, object?>("gc_heap_generation", "gen0")),
            new(gen1 - gen2, new KeyValuePair<string, object?>("gc_heap_generation", "gen1")),
            new(gen2, new KeyValuePair<string, object?>("gc_heap_generation", "gen2")),
        ];
    }

    private static Measurement<long>[] ObserveHeapSizes()
    {
        var generations = GC.GetGCMemoryInfo().GenerationInfo;
        var sizes = new Measurement<long>[Math.Min(generations.Length, s_generations.Length)];
        for (var i = 0; i < sizes.Length; i++)
        {
            sizes[i] = new(generations[i].SizeAfterBytes, new KeyValuePair<string, object?>("gc_heap_generation", s_generations[i]));
        }

        return sizes;
    }

    /// <summary>The entries of <c>/proc/self/fd</c> (the enumeration's own descriptor among them, as the client libraries count).</summary>
    private static long OpenFileDescriptors()
    {
        long count = 0;
        foreach (var _ in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            count++;
        }

        return count;
    }

    /// <summary>The soft limit on open files from <c>/proc/self/limits</c>; none reported when it is unlimited or unreadable.</summary>
    private static IEnumerable<Measurement<long>> MaxFileDescriptors()
    {
        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            // "Max open files            1048576              1048576              files"
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var limit))
                {
                    return [new Measurement<long>(limit)];
                }

                break;
            }
        }

        return [];
    }
}
