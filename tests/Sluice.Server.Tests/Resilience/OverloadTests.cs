using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.Server.Tests.Resilience;

[Collection(TimingCollection.Name)]
public sealed class OverloadTests(ITestOutputHelper output)
{
    /// <summary>The bound this test states for the server's resident memory under the overload.</summary>
    private const long MemoryBoundBytes = 400L * 1024 * 1024;

    [Fact]
    public async Task Overload_TwentyTimesCapacityForTwentySeconds_RejectsFastCompletesAcceptedAndBoundsMemory()
    {
        // Capacity: batches of 2 every 50 ms = 40 jobs/s. Offered: 800 jobs/s for 20 s.
        const int capacityPerSecond = 40;
        const int offeredPerSecond = capacityPerSecond * 20;
        var duration = TimeSpan.FromSeconds(20);
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-overload-" + Guid.NewGuid().ToString("N"));
        await using var server = await ServerProcess.StartAsync(dataDir, new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "50",
            ["Sluice:BuiltIns:SleepBatchPerItemMs"] = "0",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "2",
            ["Sluice:Models:sleep-batch:MaxQueueDepth"] = "40",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512 }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        // Warm up the request path so JIT compilation is not counted as rejection latency.
        for (var i = 0; i < 50; i++)
        {
            using var _ = await client.PostAsync("/v1/jobs", Body(-1));
        }

        var accepted = new ConcurrentBag<string>();
        var rejectionMs = new ConcurrentBag<double>();
        var rejectionServerMs = new ConcurrentBag<double>();
        var otherStatuses = new ConcurrentBag<int>();
        var missingRetryAfter = 0;
        long maxRss = 0;
        var inflight = new List<Task>();
        var sw = Stopwatch.StartNew();
        var sent = 0;
        while (sw.Elapsed < duration)
        {
            // Open loop: keep to the offered rate whatever the server does.
            var due = (int)(sw.Elapsed.TotalSeconds * offeredPerSecond);
            for (; sent < due; sent++)
            {
                var n = sent;
                inflight.Add(Task.Run(async () =>
                {
                    var start = Stopwatch.GetTimestamp();
                    using var r = await client.PostAsync("/v1/jobs", Body(n));
                    var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    if (r.StatusCode == HttpStatusCode.Accepted)
                    {
                        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
                        accepted.Add(doc.RootElement.GetProperty("id").GetString()!);
                    }
                    else if (r.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                    {
                        rejectionMs.Add(ms);
                        rejectionServerMs.Add(ServerMs(r));
                        if (r.Headers.RetryAfter is null)
                        {
                            Interlocked.Increment(ref missingRetryAfter);
                        }
                    }
                    else
                    {
                        otherStatuses.Add((int)r.StatusCode);
                    }
                }));
            }

            maxRss = Math.Max(maxRss, server.ResidentBytes());
            await Task.Delay(5);
        }

        await Task.WhenAll(inflight);
        maxRss = Math.Max(maxRss, server.ResidentBytes());

        // Every accepted job reaches a terminal state: succeeded, or expired by its deadline.
        var statuses = new Dictionary<string, int>();
        foreach (var id in accepted)
        {
            var until = DateTime.UtcNow.AddSeconds(30);
            string status;
            while (true)
            {
                using var r = await client.GetAsync($"/v1/jobs/{id}");
                using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
                status = doc.RootElement.GetProperty("status").GetString()!;
                if (status is "succeeded" or "expired" or "failed" or "cancelled" or "dead_lettered")
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < until, $"{id} still {status}");
                await Task.Delay(20);
            }

            statuses[status] = statuses.GetValueOrDefault(status) + 1;
        }

        var sorted = rejectionMs.OrderBy(x => x).ToArray();
        var serverSorted = rejectionServerMs.OrderBy(x => x).ToArray();
        output.WriteLine($"sent {sent}, accepted {accepted.Count}, rejected {sorted.Length}, other {otherStatuses.Count}; " +
            $"rejection p50 {sorted[sorted.Length / 2]:F1} ms p99 {sorted[(int)(sorted.Length * 0.99)]:F1} ms max {sorted[^1]:F1} ms; server-side p99 {serverSorted[(int)(serverSorted.Length * 0.99)]:F2} ms max {serverSorted[^1]:F2} ms; max RSS {maxRss / 1048576} MiB; " +
            string.Join(", ", statuses.Select(kv => $"{kv.Key} {kv.Value}")));

        Assert.Empty(otherStatuses);
        Assert.Equal(0, missingRetryAfter);
        Assert.True(sorted.Length > sent / 2, "the overload was not an overload");
        // The server decides rejections in under 20 ms (Server-Timing) at the 99th percentile (about 1 ms measured);
        // the rare outlier (a GC pause, or the OS preempting the process on a 2-core machine busy with other work:
        // the 99.9th percentile reached 75 ms while another build ran beside the suite) is still bounded.
        var p99 = serverSorted[(int)(serverSorted.Length * 0.99)];
        Assert.True(p99 < 20, $"99% of rejections took up to {p99:F1} ms in the server");
        Assert.True(serverSorted[^1] < 250, $"slowest rejection took {serverSorted[^1]:F1} ms in the server");
        Assert.True(sorted[^1] < 5000, $"slowest rejection took {sorted[^1]:F1} ms end to end");
        Assert.Equal(accepted.Count, statuses.GetValueOrDefault("succeeded") + statuses.GetValueOrDefault("expired"));
        Assert.True(maxRss < MemoryBoundBytes, $"server RSS reached {maxRss / 1048576} MiB");
    }

    private static double ServerMs(HttpResponseMessage r)
    {
        var header = r.Headers.GetValues("Server-Timing").Single();
        return double.Parse(header[(header.IndexOf("dur=", StringComparison.Ordinal) + 4)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static StringContent Body(int n) =>
        new($"{{\"model\":\"sleep-batch\",\"input\":{{\"n\":{n}}},\"deadline_ms\":5000}}", Encoding.UTF8, "application/json");
}
