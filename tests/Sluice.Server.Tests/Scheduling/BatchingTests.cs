using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Scheduling;

[Collection(TimingCollection.Name)]
public sealed class BatchingTests
{
    private const int Submitters = 64;
    private const int JobsPerSubmitter = 5;

    [Fact]
    public async Task DynamicBatching_SixtyFourSubmitters_FormsBatchesAndBeatsUnbatchedFiveTimes()
    {
        // sleep-batch costs 20 + 1·n ms per batch: unbatched ≈ 21 ms a job, batched at 32 ≈ 1.6 ms a job. The batched
        // side is bound by this machine's HTTP work, so a burst of other load on a shared CI machine can sink one
        // comparison: one that misses is measured again (up to three attempts); a batcher that does not batch misses
        // every time.
        var ratio = 0.0;
        var seen = new List<string>();
        for (var attempt = 1; attempt <= 3 && ratio < 5; attempt++)
        {
            var batched = await MeasureAsync(maxBatchSize: 32);
            var unbatched = await MeasureAsync(maxBatchSize: 1);

            Assert.True(batched.MaxBatch > 1, $"no batch larger than 1 formed (max {batched.MaxBatch})");
            Assert.Equal(1, unbatched.MaxBatch);
            ratio = batched.JobsPerSecond / unbatched.JobsPerSecond;
            seen.Add($"batched {batched.JobsPerSecond:F0} jobs/s vs unbatched {unbatched.JobsPerSecond:F0} jobs/s: ratio {ratio:F1}");
        }

        Assert.True(ratio >= 5, $"in three attempts the ratio stayed under 5: {string.Join("; ", seen)}");
    }

    private static async Task<(double JobsPerSecond, int MaxBatch)> MeasureAsync(int maxBatchSize)
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "20",
            ["Sluice:BuiltIns:SleepBatchPerItemMs"] = "1",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = maxBatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sluice:Models:sleep-batch:MaxQueueDelayMs"] = "2",
        });
        var maxBatch = 0;
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Submitters).Select(async w =>
        {
            for (var i = 0; i < JobsPerSubmitter; i++)
            {
                var (response, body) = await server.PostJobAsync($"{{\"model\":\"sleep-batch\",\"input\":{{\"w\":{w},\"i\":{i}}}}}", waitSeconds: 60);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("succeeded", body.GetProperty("status").GetString());
                var size = body.GetProperty("batch_size").GetInt32();
                InterlockedMax(ref maxBatch, size);
            }
        });
        await Task.WhenAll(workers);
        sw.Stop();
        return (Submitters * JobsPerSubmitter / sw.Elapsed.TotalSeconds, maxBatch);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
