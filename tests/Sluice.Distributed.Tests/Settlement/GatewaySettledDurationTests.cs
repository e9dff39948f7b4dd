using System.Net;
using Sluice.Distributed.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Distributed.Tests.Settlement;

/// <summary>
/// <c>sluice_job_duration_seconds</c> of a job no worker ran, settled by the gateway in the store (its deadline passed
/// while it waited in the broker): recorded once, by the gateway, from the acceptance the store keeps.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class GatewaySettledDurationTests(Brokers brokers)
{
    [Fact]
    public async Task Expiry_QueuedJobWithNoWorker_GatewayRecordsOneDurationFromAcceptanceToExpiry()
    {
        await using var cluster = await Cluster.CreateAsync(brokers);
        var gateway = await cluster.StartAsync("gateway");

        var (status, body) = await Cluster.PostJobAsync(gateway.Client, "{\"model\":\"sleep-batch\",\"input\":{},\"deadline_ms\":500}");
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = body.GetProperty("id").GetString()!;
        var job = body;
        await Poll.UntilAsync(async () => (job = await Cluster.GetJobAsync(gateway.Client, id)).GetProperty("status").GetString() == "expired",
            () => $"the job is {job.GetProperty("status")}, not expired: {cluster.Output}", TimeSpan.FromSeconds(30));
        var took = (job.GetProperty("completed_at").GetDateTimeOffset() - job.GetProperty("created_at").GetDateTimeOffset()).TotalSeconds;

        const string Metric = "sluice_job_duration_seconds";
        var labels = new[] { "model=\"sleep-batch\"", "status=\"expired\"" };
        var text = "";
        await Poll.UntilAsync(async () => PrometheusText.Counter(text = await gateway.Client.GetStringAsync("/metrics"), Metric + "_count", labels) == 1,
            () => $"the gateway recorded no single {Metric}: {text}", TimeSpan.FromSeconds(10));
        Assert.InRange(PrometheusText.Value(text, Metric + "_sum", labels), took - 0.002, took + 0.002);
        Assert.Equal(1, PrometheusText.Counter(text, "sluice_jobs_finished_total", labels));
    }
}
