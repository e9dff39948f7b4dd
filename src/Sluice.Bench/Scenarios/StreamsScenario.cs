using System.Diagnostics;
using System.Globalization;
using System.Text;
using Sluice.Bench.Histograms;
using Sluice.Bench.Load;
using Sluice.Bench.Reporting;
using Sluice.Bench.Targets;
using Spectre.Console;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// <c>streams</c>: N concurrent SSE clients (default 10,000) each following one job's events. The jobs are
/// <c>sleep-batch</c> jobs held open for a fixed time (one big batch), so every stream stays open at once. Measures the
/// server's resident memory per open stream (RSS with all streams open minus before, over N), the time from submit to
/// the first event on each stream, and the delivery of <c>completed</c>: the spread between the first and each other
/// stream receiving it (one batch finishes at one instant, so the spread is the fan-out delay).
/// </summary>
internal sealed class StreamsScenario : IScenario
{
    /// <summary>The server's largest allowed MaxBatchSize; more streams than this finish in several batches.</summary>
    private const int MaxServerBatch = 4096;

    public string Name => "streams";

    public string Description => "N concurrent SSE clients (target 10,000): memory per open stream, event delivery p99";

    public IReadOnlyList<string> SettingKeys { get; } = ["streams", "hold-ms", "open-concurrency"];

    public async Task<BenchRun> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        DateTimeOffset started = DateTimeOffset.UtcNow;
        int n = context.GetInt("streams", context.Quick ? 200 : 10_000);
        int holdMs = context.GetInt("hold-ms", context.Quick ? 4000 : 30_000);
        int openConcurrency = context.GetInt("open-concurrency", 256);
        int batch = Math.Min(n, MaxServerBatch);

        await using SluiceServerProcess server = await context.StartServerAsync(
            "streams",
            [
                "--Sluice:BuiltIns:SleepBatchBaseMs=" + holdMs.ToString(CultureInfo.InvariantCulture),
                "--Sluice:BuiltIns:SleepBatchPerItemMs=0",
                $"--Sluice:Models:sleep-batch:MaxBatchSize={batch}",
                $"--Sluice:Models:sleep-batch:MaxQueueDepth={n + 1000}",
                $"--Sluice:Models:sleep-batch:MaxQueueDelayMs={Math.Min(holdMs / 3, 60_000)}",
            ],
            cancellationToken).ConfigureAwait(false);
        var sampler = new ProcessSampler(server.ProcessId);
        using HttpClient client = BenchHttp.CreateClient();
        await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        GC.Collect();
        long rssBefore = sampler.ResidentBytes();

        var firstEvent = new LogLinearHistogram();
        long[] completedAt = new long[n];
        var outcomes = new int[n];
        int opened = 0;
        using var gate = new SemaphoreSlim(openConcurrency);
        using var allOpen = new CancellationTokenSource();
        using var scenarioTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        scenarioTimeout.CancelAfter(TimeSpan.FromMilliseconds(holdMs * (2L + ((n - 1) / batch))) + TimeSpan.FromMinutes(2));
        long openStart = Stopwatch.GetTimestamp();
        long rssOpen = 0;
        TimeSpan openTime = TimeSpan.Zero;
        var tasks = new Task[n];
        for (int i = 0; i < n; i++)
        {
            tasks[i] = OneStreamAsync(i);
        }

        // Sample memory once every stream has seen its first event (or the jobs start finishing).
        while (Volatile.Read(ref opened) < n && !scenarioTimeout.IsCancellationRequested && Array.TrueForAll(completedAt, static c => c == 0))
        {
            context.Session.Console.WriteLine($"streams: {Volatile.Read(ref opened)}/{n} open, server RSS {sampler.ResidentBytes() / (1024 * 1024)} MiB");
            await Task.WhenAny(Task.Delay(1000, scenarioTimeout.Token), Task.WhenAll(tasks)).ConfigureAwait(false);
        }

        openTime = Stopwatch.GetElapsedTime(openStart);
        int openAtSample = Volatile.Read(ref opened);
        rssOpen = sampler.ResidentBytes();
        context.Session.Console.WriteLine($"streams: {openAtSample}/{n} open after {openTime.TotalSeconds:0.0} s, server RSS {rssOpen / (1024 * 1024)} MiB");
        await Task.WhenAll(tasks).ConfigureAwait(false);

        // Streams whose jobs shared a batch receive 'completed' from one server instant: cluster the receipts (a gap of
        // more than a second starts a new batch) and measure each receipt against the first of its cluster.
        var received = new List<long>(n);
        int ok = 0, failed = 0;
        for (int i = 0; i < n; i++)
        {
            if (outcomes[i] == 1)
            {
                ok++;
                received.Add(completedAt[i]);
            }
            else
            {
                failed++;
            }
        }

        received.Sort();
        var fanOut = new LogLinearHistogram();
        int batches = 0;
        long clusterStart = 0, previous = 0;
        foreach (long t in received)
        {
            if (batches == 0 || Stopwatch.GetElapsedTime(previous, t) > TimeSpan.FromSeconds(1))
            {
                clusterStart = t;
                batches++;
            }

            fanOut.Record((long)Stopwatch.GetElapsedTime(clusterStart, t).TotalMicroseconds);
            previous = t;
        }

        double perStreamKiB = openAtSample == 0 ? 0 : (rssOpen - rssBefore) / 1024.0 / openAtSample;
        LatencySummary first = LatencySummary.FromMicroseconds(firstEvent);
        LatencySummary delivery = LatencySummary.FromMicroseconds(fanOut);
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "streams requested / open at once / completed / failed", $"{n} / {openAtSample} / {ok} / {failed}" },
            new[] { "time to open all streams", $"{openTime.TotalSeconds:0.0} s" },
            new[] { "server RSS before → all open", $"{rssBefore / (1024 * 1024)} MiB → {rssOpen / (1024 * 1024)} MiB" },
            new[] { "server memory per open stream", $"{perStreamKiB:0.0} KiB" },
            new[] { "submit → first event p50 / p99", $"{Fmt.Ms(first.P50Ms)} / {Fmt.Ms(first.P99Ms)} ms" },
            new[] { $"completed delivery spread within a batch ({batches} batches) p50 / p99 / max", $"{Fmt.Ms(delivery.P50Ms)} / {Fmt.Ms(delivery.P99Ms)} / {Fmt.Ms(delivery.MaxMs)} ms" },
        };
        return new BenchRun
        {
            Name = "scenario streams",
            Target = server.BaseUri + "v1/jobs/{id}/events",
            StartedAt = started,
            Summaries = [new SummaryTable { Title = $"{n} concurrent SSE streams", Columns = ["measure", "value"], Rows = rows }],
            Notes =
            [
                $"Each stream follows one sleep-batch job held {holdMs} ms (MaxBatchSize {batch}); streams are opened {openConcurrency} at a time.",
                "Memory per stream is the server's RSS growth divided by the streams open at the sample (it includes each job's state, not only the connection).",
            ],
        };

        async Task OneStreamAsync(int index)
        {
            await gate.WaitAsync(scenarioTimeout.Token).ConfigureAwait(false);
            bool released = false;
            try
            {
                long t0 = Stopwatch.GetTimestamp();
                string? id;
                using (var submit = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseUri, "/v1/jobs"))
                {
                    Content = new StringContent("""{"model":"sleep-batch","input":{}}""", Encoding.UTF8, "application/json"),
                })
                using (HttpResponseMessage response = await client.SendAsync(submit, scenarioTimeout.Token).ConfigureAwait(false))
                {
                    if (!response.IsSuccessStatusCode)
                    {
                        return;
                    }

                    id = JobResponse.Parse(await response.Content.ReadAsByteArrayAsync(scenarioTimeout.Token).ConfigureAwait(false)).Id;
                }

                if (id is null)
                {
                    return;
                }

                using var events = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUri, $"/v1/jobs/{id}/events"));
                using HttpResponseMessage stream = await client.SendAsync(events, HttpCompletionOption.ResponseHeadersRead, scenarioTimeout.Token).ConfigureAwait(false);
                if (!stream.IsSuccessStatusCode)
                {
                    return;
                }

                using var reader = new SseReader(await stream.Content.ReadAsStreamAsync(scenarioTimeout.Token).ConfigureAwait(false));
                bool first = true;
                while (await reader.ReadNextAsync(scenarioTimeout.Token).ConfigureAwait(false))
                {
                    if (first)
                    {
                        first = false;
                        lock (firstEvent)
                        {
                            firstEvent.Record((long)Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                        }

                        Interlocked.Increment(ref opened);
                        gate.Release();
                        released = true;
                    }

                    if (reader.EventName is "completed")
                    {
                        completedAt[index] = Stopwatch.GetTimestamp();
                        outcomes[index] = 1;
                        return;
                    }

                    if (reader.EventName is "failed" or "cancelled" or "expired")
                    {
                        return;
                    }
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (IOException)
            {
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                if (!released)
                {
                    gate.Release();
                }
            }
        }
    }
}
