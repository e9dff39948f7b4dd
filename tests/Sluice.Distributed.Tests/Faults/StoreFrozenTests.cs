using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Sluice.Distributed.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.Distributed.Tests.Faults;

/// <summary>
/// PostgreSQL frozen (SIGSTOP of the postmaster and every backend), as a hung server or a partition without a reset
/// looks: connections stay open, nothing is answered, new ones are accepted by the kernel and never greeted.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class StoreFrozenTests(Brokers brokers, ITestOutputHelper output)
{
    /// <summary>"Within a few seconds": the readiness probe's 0.8 s and slack for a loaded two-core machine.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task GetAndSubmit_StoreFrozenAndReadyAlready503_503ProblemWithinSecondsNothingStoredThenServedAfterResume()
    {
        // /health/ready turned 503 within 0.8 s of the freeze, yet a GET waited out the 10 s command timeout, the
        // cancel request and two retries (about 18 s) and a submit two connect timeouts and more (about 6 s) before 503.
        await using var cluster = await Cluster.CreateAsync(brokers);
        var gateway = await cluster.StartAsync("gateway");
        await cluster.StartAsync("worker");
        var (status, job) = await Cluster.PostJobAsync(gateway.Client, "{\"model\":\"echo\",\"input\":{}}");
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = job.GetProperty("id").GetString()!;
        await cluster.WaitAllTerminalAsync(1, Brokers.DeliveryWait);
        await cluster.WaitReadyAsync(gateway, HttpStatusCode.OK, "store", "");

        var pids = PostgresPids();
        Signal(pids, "STOP");
        TimeSpan getAfter, submitAfter;
        try
        {
            var frozen = Stopwatch.StartNew();
            await cluster.WaitReadyAsync(gateway, HttpStatusCode.ServiceUnavailable, "store", "");
            var downAfter = frozen.Elapsed;

            var get = Stopwatch.StartNew();
            using (var r = await gateway.Client.GetAsync($"/v1/jobs/{id}"))
            {
                getAfter = get.Elapsed;
                await AssertUnavailableAsync(r);
            }

            var submit = Stopwatch.StartNew();
            using (var r = await gateway.Client.PostAsync("/v1/jobs", new StringContent("{\"model\":\"echo\",\"input\":{}}", Encoding.UTF8, "application/json")))
            {
                submitAfter = submit.Elapsed;
                await AssertUnavailableAsync(r);
            }

            output.WriteLine(FormattableString.Invariant(
                $"frozen: /health/ready 503 after {downAfter.TotalSeconds:F1} s; then GET 503 in {getAfter.TotalSeconds:F1} s, submit 503 in {submitAfter.TotalSeconds:F1} s"));
        }
        finally
        {
            Signal(pids, "CONT");
        }

        Assert.True(getAfter < Prompt, $"GET answered 503 after {getAfter.TotalSeconds:F1} s\n{cluster.Output}");
        Assert.True(submitAfter < Prompt, $"the submit answered 503 after {submitAfter.TotalSeconds:F1} s\n{cluster.Output}");

        // Nothing restarted: ready again by itself, the job read, a new one accepted and run, and the refused one never stored.
        await cluster.WaitReadyAsync(gateway, HttpStatusCode.OK, "store", "");
        Assert.Equal("succeeded", (await Cluster.GetJobAsync(gateway.Client, id)).GetProperty("status").GetString());
        var (accepted, body) = await Cluster.PostJobAsync(gateway.Client, "{\"model\":\"echo\",\"input\":{}}");
        Assert.True(accepted == HttpStatusCode.Accepted, $"{(int)accepted} {body}\n{cluster.Output}");
        await cluster.WaitAllTerminalAsync(2, Brokers.DeliveryWait);
        Assert.Equal(2, await cluster.ScalarAsync("SELECT count(*) FROM jobs"));
    }

    [Fact]
    public async Task Get_StoreFrozenWithPerKeyRateLimits_503WithinSecondsWithoutWaitingForTheLimiter()
    {
        // With per-key limits every request first takes its tokens in PostgreSQL, on a query of its own: while the server
        // was frozen each one waited there for the connect or command timeout before the limiter let it through.
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string>
        {
            ["Sluice:Auth:Keys:0:Id"] = "team-a",
            ["Sluice:Auth:Keys:0:Key"] = "secret-a",
            ["Sluice:Auth:Keys:0:RequestsPerSecond"] = "100",
            ["Sluice:Auth:Keys:0:Burst"] = "100",
        });
        var gateway = await cluster.StartAsync("gateway");
        gateway.Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "secret-a");
        var (status, job) = await Cluster.PostJobAsync(gateway.Client, "{\"model\":\"echo\",\"input\":{}}");
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = job.GetProperty("id").GetString()!;
        await cluster.WaitReadyAsync(gateway, HttpStatusCode.OK, "store", "");
        // Concurrent lookups leave several open connections in the pool, as under load: the limiter takes one the
        // readiness check did not break, and its query waits on a server that answers nothing.
        await Parallel.ForEachAsync(Enumerable.Range(0, 16), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
        {
            using var warm = await gateway.Client.GetAsync($"/v1/jobs/{id}");
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        });

        var pids = PostgresPids();
        Signal(pids, "STOP");
        TimeSpan getAfter;
        try
        {
            await cluster.WaitReadyAsync(gateway, HttpStatusCode.ServiceUnavailable, "store", "");
            var get = Stopwatch.StartNew();
            using var r = await gateway.Client.GetAsync($"/v1/jobs/{id}");
            getAfter = get.Elapsed;
            await AssertUnavailableAsync(r);
            output.WriteLine(FormattableString.Invariant($"frozen, rate-limited key: GET 503 in {getAfter.TotalSeconds:F1} s"));
        }
        finally
        {
            Signal(pids, "CONT");
        }

        Assert.True(getAfter < Prompt, $"GET answered 503 after {getAfter.TotalSeconds:F1} s\n{cluster.Output}");
        await cluster.WaitReadyAsync(gateway, HttpStatusCode.OK, "store", "");
        using var served = await gateway.Client.GetAsync($"/v1/jobs/{id}");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    private static async Task AssertUnavailableAsync(HttpResponseMessage r)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)r.StatusCode} {text}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(r.Headers.RetryAfter);
    }

    /// <summary>The postmaster (its pid file's first line) and its children, the backends included.</summary>
    private List<int> PostgresPids()
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(brokers.PostgresDir, "data", "postmaster.pid")).First().Trim(), CultureInfo.InvariantCulture);
        var pids = new List<int> { postmaster };
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after its closing parenthesis.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) == postmaster)
                {
                    pids.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
        }

        return pids;
    }

    private static void Signal(List<int> pids, string signal)
    {
        var psi = new ProcessStartInfo("kill") { UseShellExecute = false };
        psi.ArgumentList.Add("-" + signal);
        foreach (var pid in pids)
        {
            psi.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        }

        using var kill = Process.Start(psi)!;
        kill.WaitForExit();
    }
}
