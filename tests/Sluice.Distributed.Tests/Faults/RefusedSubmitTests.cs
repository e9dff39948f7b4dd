using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;
using Sluice.Distributed.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Distributed.Tests.Faults;

/// <summary>
/// A submit the broker refused (503) while PostgreSQL failed the write that ends the job <c>failed</c>: the answer and
/// the job's fate must agree, so the job must not be published and run later by the sweep for unpublished jobs.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class RefusedSubmitTests(Brokers brokers)
{
    private const string Body = "{\"model\":\"sleep-batch\",\"input\":{},\"cache\":false}";

    // A short RepublishAfter: the sweep looks at the refused job every second once PostgreSQL answers, not after 2 min.
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Sluice:Queue:RepublishAfter"] = "00:00:02",
        ["Logging:LogLevel:Sluice.RabbitMq.RabbitMqJobQueue"] = "Information",
    };

    [Fact]
    public async Task Submit_BrokerRefusesAndStoreDownForTheFailedWrite_JobEndsFailedUnrunAndKeyReleased()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, Settings);
        var gateway = await cluster.StartAsync("gateway");
        await cluster.StartAsync("worker");
        var key = "refused-" + Guid.NewGuid().ToString("N")[..8];
        await using var lane = await LaneBinding.UnbindAsync(brokers, cluster);

        // PostgreSQL takes the journal but not the refusal's write: the events table is locked, so that write waits
        // inside its transaction, and PostgreSQL is stopped under it (it never commits).
        string id;
        await using (var db = await cluster.OpenStoreAsync())
        {
            await using var tx = await db.BeginTransactionAsync();
            await using (var lockEvents = new NpgsqlCommand("LOCK TABLE events IN SHARE MODE", db, tx))
            {
                await lockEvents.ExecuteNonQueryAsync();
            }

            var submit = PostAsync(gateway, key);
            await Poll.UntilAsync(
                async () => await cluster.ScalarAsync(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO events%unnest%'") > 0,
                () => "the refusal's write never reached the store: " + cluster.Output, TimeSpan.FromSeconds(30));
            id = await OnlyJobIdAsync(cluster);
            await brokers.StopPostgresAsync();
            var (status, problem) = await submit;
            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{(int)status} {problem}");
        }

        // The broker takes jobs again before PostgreSQL is back, so a sweep that republished the refused job would run it.
        await lane.BindAsync();
        await brokers.StartPostgresAsync();
        await AssertFailedUnrunAndKeyReleasedAsync(cluster, gateway, id, key);
    }

    [Fact]
    public async Task Submit_StoreCommitAnswerLost_503AndJobEndsFailedUnrunAndKeyReleased()
    {
        // The gateway's store connections go through a proxy that forwards the create's COMMIT and cuts the connection
        // instead of passing its answer back, on every try: the job is stored queued, the client told 503. Unremembered,
        // the sweep published it after RepublishAfter and it ran.
        await using var cluster = await Cluster.CreateAsync(brokers, Settings);
        await using var proxy = CommitDroppingProxy.Start(brokers.PostgresPort);
        var gateway = await cluster.StartAsync("gateway", new Dictionary<string, string> { ["Sluice:Store:Url"] = proxy.Via(cluster.StoreUrl) });
        await cluster.StartAsync("worker");
        var key = "unanswered-" + Guid.NewGuid().ToString("N")[..8];

        proxy.Armed = true;
        var (status, problem) = await PostAsync(gateway, key);
        proxy.Armed = false;
        Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{(int)status} {problem}");
        Assert.True(proxy.Dropped > 0, "no create's COMMIT answer was dropped: " + cluster.Output);
        var id = await OnlyJobIdAsync(cluster);
        Assert.True(id is not null, "the create's commit did not land: " + cluster.Output);

        await AssertFailedUnrunAndKeyReleasedAsync(cluster, gateway, id, key);
        Assert.Contains("did not answer its create's commit", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RepublishSweep_RefusedJobsFailedWriteKeepsFailing_NotRepublishedAndFailedOnceStored()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, Settings);
        var gateway = await cluster.StartAsync("gateway");
        await cluster.StartAsync("worker");
        var key = "refused-" + Guid.NewGuid().ToString("N")[..8];
        await using var lane = await LaneBinding.UnbindAsync(brokers, cluster);

        // The store answers the sweep (its claim updates the job) but fails the refusal's write, which releases the key:
        // the gateway's role may not delete idempotency keys for now.
        await using var db = await cluster.OpenStoreAsync();
        await Exec(db, "REVOKE DELETE ON idempotency FROM sluice");
        var (status, problem) = await PostAsync(gateway, key);
        Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{(int)status} {problem}");
        var id = await OnlyJobIdAsync(cluster);
        await lane.BindAsync();

        // The sweep claims the job (queued, never published, older than RepublishAfter) and leaves it alone.
        var skipped = $"Job {id} looks journaled but never published; not published again";
        await Poll.UntilAsync(
            () => Task.FromResult(gateway.Output.Contains(skipped, StringComparison.Ordinal)),
            () => "the sweep never passed the refused job by: " + cluster.Output, TimeSpan.FromSeconds(30));
        Assert.Equal(0L, await cluster.ScalarAsync($"SELECT count(*) FROM events WHERE job_id = '{id}' AND type = 'started'"));

        await Exec(db, "GRANT DELETE ON idempotency TO sluice");
        await AssertFailedUnrunAndKeyReleasedAsync(cluster, gateway, id, key);
    }

    [Fact]
    public async Task GracefulStop_RefusalStillPending_WaitsBoundedAndLogsTheJobLeft()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, Settings);
        var gateway = await cluster.StartAsync("gateway");
        await using var lane = await LaneBinding.UnbindAsync(brokers, cluster);
        await using var db = await cluster.OpenStoreAsync();
        await Exec(db, "REVOKE DELETE ON idempotency FROM sluice");
        var (status, problem) = await PostAsync(gateway, "refused-" + Guid.NewGuid().ToString("N")[..8]);
        Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{(int)status} {problem}");
        var id = await OnlyJobIdAsync(cluster);

        // SIGTERM with the refusal's write still failing: the stop waits its 5 s for it, then says which job is left.
        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await gateway.TerminateAsync();
        await Exec(db, "GRANT DELETE ON idempotency TO sluice");
        var left = gateway.Output.Split('\n').FirstOrDefault(l => l.Contains("refused jobs' failed outcomes still pending", StringComparison.Ordinal));
        Assert.True(left is not null && left.Contains(id, StringComparison.Ordinal),
            $"the stop did not report the pending refusal of {id} (stopped in {stopping.Elapsed.TotalSeconds:F1} s): {gateway.Output}");
    }

    /// <summary>The refused job ends failed, as its client was told, never started; its key is free for the client's retry, which runs.</summary>
    private static async Task AssertFailedUnrunAndKeyReleasedAsync(Cluster cluster, SluiceNode gateway, string id, string key)
    {
        long jobStatus = 0;
        await Poll.UntilAsync(
            async () => (jobStatus = await cluster.ScalarAsync($"SELECT status FROM jobs WHERE id = '{id}'")) >= 2,
            () => $"the refused job {id} is still {jobStatus} in the store: " + cluster.Output, TimeSpan.FromSeconds(40));
        var started = await cluster.ScalarAsync($"SELECT count(*) FROM events WHERE job_id = '{id}' AND type = 'started'");
        var attempts = await cluster.ScalarAsync($"SELECT attempts FROM jobs WHERE id = '{id}'");
        Assert.True(jobStatus == 3 && started == 0 && attempts == 0,
            $"the refused job {id} ended with status {jobStatus}, {attempts} attempts, {started} started events (3, 0 and 0 expected): {cluster.Output}");

        // Counted finished and timed once, by the gateway that stored the refusal, as every outcome is.
        var labels = new[] { "model=\"sleep-batch\"", "status=\"failed\"" };
        var metrics = await gateway.Client.GetStringAsync("/metrics");
        Assert.True(PrometheusText.Counter(metrics, "sluice_jobs_finished_total", labels) == 1
            && PrometheusText.Counter(metrics, "sluice_job_duration_seconds_count", labels) == 1,
            "the stored refusal is not counted and timed once: " + metrics);

        var (retryStatus, retry) = await PostAsync(gateway, key);
        Assert.True(retryStatus == HttpStatusCode.Accepted, $"{(int)retryStatus} {retry}");
        var retryId = retry.GetProperty("id").GetString()!;
        Assert.NotEqual(id, retryId);
        await Poll.UntilAsync(
            async () => await cluster.ScalarAsync($"SELECT count(*) FROM jobs WHERE id = '{retryId}' AND status = 2") == 1,
            () => $"the retry {retryId} did not succeed: " + cluster.Output, TimeSpan.FromSeconds(30));
        Assert.Equal(3L, await cluster.ScalarAsync($"SELECT status FROM jobs WHERE id = '{id}'"));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(SluiceNode node, string idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var r = await node.Client.SendAsync(request);
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    private static async Task<string> OnlyJobIdAsync(Cluster cluster)
    {
        await using var conn = await cluster.OpenStoreAsync();
        await using var cmd = new NpgsqlCommand("SELECT id FROM jobs", conn);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task Exec(NpgsqlConnection db, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, db);
        await cmd.ExecuteNonQueryAsync();
    }
}
