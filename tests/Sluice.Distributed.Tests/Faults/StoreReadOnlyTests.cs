using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;
using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Distributed.Tests.Faults;

/// <summary>
/// The gateway's PostgreSQL database turned read-only while it runs (<c>default_transaction_read_only</c>, as on a
/// standby a failover left the URL pointing at): it still answers lookups, and takes no writes.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class StoreReadOnlyTests(Brokers brokers)
{
    [Fact]
    public async Task HealthReady_StoreDatabaseMadeReadOnly_503NamingTheStoreWhileLiveStays200ThenReadyAgain()
    {
        // Readiness looked a job up, which a read-only database answers: the gateway stayed in rotation while every
        // submit failed.
        await using var cluster = await Cluster.CreateAsync(brokers);
        var gateway = await cluster.StartAsync("gateway");
        var database = new Uri(cluster.StoreUrl).AbsolutePath.TrimStart('/');

        await FailOverAsync(cluster, $"ALTER DATABASE {database} SET default_transaction_read_only = on");
        // The sessions the failover broke read as unavailable first; then the new ones find the database read-only.
        var down = await cluster.WaitReadyAsync(gateway, HttpStatusCode.ServiceUnavailable, "store", "read-only");
        Assert.Equal("unhealthy", down.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
        using (var live = await gateway.Client.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        await FailOverAsync(cluster, $"BEGIN READ WRITE; ALTER DATABASE {database} RESET default_transaction_read_only; COMMIT");
        var up = await cluster.WaitReadyAsync(gateway, HttpStatusCode.OK, "store", "");
        Assert.Equal("healthy", up.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
        using var accepted = await gateway.Client.PostAsync("/v1/jobs", new StringContent("{\"model\":\"echo\",\"input\":{}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }

    [Fact]
    public async Task Cancel_StoreDatabaseMadeReadOnly_Answers503ProblemThenCancelsOnceWritable()
    {
        // PostgreSQL's refusal of a write (25006 read-only; 53100 disk full) left the store as a PostgresException, which
        // only the submit path caught: a cancel, a dead-letter requeue … answered 500.
        await using var cluster = await Cluster.CreateAsync(brokers);
        var gateway = await cluster.StartAsync("gateway");
        var (status, job) = await Cluster.PostJobAsync(gateway.Client, "{\"model\":\"echo\",\"input\":{}}");
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = job.GetProperty("id").GetString()!;
        var database = new Uri(cluster.StoreUrl).AbsolutePath.TrimStart('/');

        await FailOverAsync(cluster, $"ALTER DATABASE {database} SET default_transaction_read_only = on");
        await cluster.WaitReadyAsync(gateway, HttpStatusCode.ServiceUnavailable, "store", "read-only");
        using (var refused = await gateway.Client.DeleteAsync($"/v1/jobs/{id}"))
        {
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(refused.Headers.RetryAfter);
        }

        await FailOverAsync(cluster, $"BEGIN READ WRITE; ALTER DATABASE {database} RESET default_transaction_read_only; COMMIT");
        await cluster.WaitReadyAsync(gateway, HttpStatusCode.OK, "store", "");
        using var cancelled = await gateway.Client.DeleteAsync($"/v1/jobs/{id}");
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("cancelled", (await Cluster.GetJobAsync(gateway.Client, id)).GetProperty("status").GetString());
    }

    /// <summary>Runs <paramref name="sql"/>, then ends the gateway's sessions: its new ones see the change, as after a failover.</summary>
    private static async Task FailOverAsync(Cluster cluster, string sql)
    {
        await using var conn = await cluster.OpenStoreAsync();
        await using var cmd = new NpgsqlCommand(sql + "; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
