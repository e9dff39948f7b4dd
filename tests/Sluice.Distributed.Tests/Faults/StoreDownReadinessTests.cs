using System.Globalization;
using System.Net;
using System.Text.Json;
using Sluice.Distributed.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Distributed.Tests.Faults;

/// <summary>
/// <c>/health/ready</c> is anonymous (load balancers, anyone who reaches the port): with PostgreSQL stopped its
/// <c>store</c> entry gave Npgsql's own words, "the job store is unreachable: Failed to connect to 127.0.0.1:PORT", which
/// name the database's host and port (and, in other failures, its user or database).
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class StoreDownReadinessTests(Brokers brokers)
{
    [Fact]
    public async Task Ready_PostgresStopped_GenericReasonWithoutConnectionDetailsAndFullTextLogged()
    {
        await using var cluster = await Cluster.CreateAsync(brokers);
        var gateway = await cluster.StartAsync("gateway");
        await cluster.WaitReadyAsync(gateway, HttpStatusCode.OK, "store");
        var database = new Uri(cluster.StoreUrl).AbsolutePath.Trim('/');
        var port = brokers.PostgresPort.ToString(CultureInfo.InvariantCulture);

        await brokers.StopPostgresAsync();
        try
        {
            // Answers over 5 s (each probe's answer is reused 2 s), so each kind of failure on the way down is seen:
            // the pool's broken connections first, then refused connects.
            var bodies = new List<string>();
            DateTime? firstDown = null;
            await Poll.UntilAsync(async () =>
            {
                using var r = await gateway.Client.GetAsync("/health/ready");
                var body = await r.Content.ReadAsStringAsync();
                using var doc = JsonDocument.Parse(body);
                var store = doc.RootElement.GetProperty("checks").GetProperty("store");
                if (r.StatusCode == HttpStatusCode.ServiceUnavailable && store.GetProperty("status").GetString() == "unhealthy")
                {
                    bodies.Add(body);
                    firstDown ??= DateTime.UtcNow;
                }

                return firstDown is { } down && DateTime.UtcNow - down > TimeSpan.FromSeconds(5);
            }, () => "the store never read unhealthy: " + cluster.Output, TimeSpan.FromSeconds(40));

            foreach (var body in bodies)
            {
                Assert.DoesNotContain(port, body, StringComparison.Ordinal);
                Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
                Assert.DoesNotContain(database, body, StringComparison.Ordinal);
                Assert.DoesNotContain("sluice:", body, StringComparison.Ordinal);
                using var doc = JsonDocument.Parse(body);
                Assert.Equal("store unreachable", doc.RootElement.GetProperty("checks").GetProperty("store").GetProperty("description").GetString());
            }

            // The log keeps the details (the exception), once for the change of state rather than once per probe.
            var logged = Assert.Single(Lines(gateway.Output, "Health check store is unhealthy"));
            Assert.Contains("Npgsql", logged, StringComparison.Ordinal);
        }
        finally
        {
            await brokers.StartPostgresAsync();
        }

        await cluster.WaitReadyAsync(gateway, HttpStatusCode.OK, "store");
    }

    private static List<string> Lines(string output, string marker)
    {
        var found = new List<string>();
        foreach (var line in output.Split('\n'))
        {
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                found.Add(line);
            }
        }

        return found;
    }
}
