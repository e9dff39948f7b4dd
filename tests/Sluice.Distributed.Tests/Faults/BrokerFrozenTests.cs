using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Distributed.Tests.Faults;

/// <summary>
/// RabbitMQ frozen (SIGSTOP of its Erlang VM), as a hung node or a network partition without a reset looks: the
/// connection stays open, nothing is answered, and only the AMQP heartbeat notices, tens of seconds later.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class BrokerFrozenTests(Brokers brokers)
{
    [Fact]
    public async Task Submit_BrokerFrozenBeforeTheGatewaysFirstPublish_503WithinTheConfirmTimeoutThenAcceptedAfterResume()
    {
        // The gateway opens its publisher channel at the first submit: that open does not heed cancellation, so the
        // submit waited out the client's 20 s continuation timeout instead of the 5 s confirm timeout.
        await using var cluster = await Cluster.CreateAsync(brokers);
        var gateway = await cluster.StartAsync("gateway");
        await cluster.StartAsync("worker");

        var beam = BeamPid();
        Signal(beam, "STOP");
        try
        {
            var frozen = Stopwatch.StartNew();
            var (status, body) = await Cluster.PostJobAsync(gateway.Client, "{\"model\":\"echo\",\"input\":{}}");
            var refusedAfter = frozen.Elapsed;
            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{(int)status} {body}");
            // The 5 s confirm timeout and some slack for a loaded machine.
            Assert.True(refusedAfter < TimeSpan.FromSeconds(10), $"the submit was refused {refusedAfter.TotalSeconds:F1} s into the freeze: {body}\n{cluster.Output}");
        }
        finally
        {
            Signal(beam, "CONT");
        }

        // Nothing restarted: the channel whose open outlived the submit serves the next ones.
        var until = DateTime.UtcNow.AddSeconds(30);
        string id;
        while (true)
        {
            var (accepted, job) = await Cluster.PostJobAsync(gateway.Client, "{\"model\":\"echo\",\"input\":{}}");
            if (accepted == HttpStatusCode.Accepted)
            {
                id = job.GetProperty("id").GetString()!;
                break;
            }

            Assert.True(accepted == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < until, $"{(int)accepted} {job}\n{cluster.Output}");
            await Task.Delay(200);
        }

        await cluster.WaitAllTerminalAsync(2, Brokers.DeliveryWait);
        Assert.Equal("succeeded", (await Cluster.GetJobAsync(gateway.Client, id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task HealthReady_BrokerFrozenAfterAConfirmTimeout_503NamingConfirmsWithinSecondsThenReadyAgainAfterResume()
    {
        // Readiness read the connection state only: every submit answered 503 after the confirm timeout while
        // /health/ready stayed 200 until the heartbeat closed the connection (30 to 40 s), so a load balancer kept
        // routing submits here.
        await using var cluster = await Cluster.CreateAsync(brokers);
        var gateway = await cluster.StartAsync("gateway");
        var worker = await cluster.StartAsync("worker");
        await cluster.WaitReadyAsync(gateway, HttpStatusCode.OK, "broker", "");
        // The gateway's four publisher channels opened, so the frozen submit waits for its confirm on one of them.
        for (var i = 0; i < 4; i++)
        {
            var (warm, _) = await Cluster.PostJobAsync(gateway.Client, "{\"model\":\"echo\",\"input\":{}}");
            Assert.Equal(HttpStatusCode.Accepted, warm);
        }


        var beam = BeamPid();
        Signal(beam, "STOP");
        try
        {
            var frozen = Stopwatch.StartNew();
            var (status, body) = await Cluster.PostJobAsync(gateway.Client, "{\"model\":\"echo\",\"input\":{}}");
            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{(int)status} {body}");
            var refusedAfter = frozen.Elapsed;

            var down = await cluster.WaitReadyAsync(gateway, HttpStatusCode.ServiceUnavailable, "broker", "confirm");
            var downAfter = frozen.Elapsed;
            Assert.Equal("unhealthy", down.GetProperty("checks").GetProperty("broker").GetProperty("status").GetString());
            // Within a few seconds of the refused submit, well before the heartbeat gives up on the connection.
            Assert.True(downAfter - refusedAfter < TimeSpan.FromSeconds(4), $"ready turned 503 {downAfter.TotalSeconds:F1} s into the freeze, the submit was refused at {refusedAfter.TotalSeconds:F1} s");
            using (var live = await gateway.Client.GetAsync("/health/live"))
            {
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            }

            // A worker takes no submits and has published nothing: it reports the connection, still open until the heartbeat.
            using var workerReady = await worker.Client.GetAsync("/health/ready");
            Assert.True(workerReady.StatusCode == HttpStatusCode.OK, await workerReady.Content.ReadAsStringAsync());
        }
        finally
        {
            Signal(beam, "CONT");
        }

        // Nothing restarted: the probe sees the broker confirm again.
        var up = await cluster.WaitReadyAsync(gateway, HttpStatusCode.OK, "broker", "");
        Assert.Equal("healthy", up.GetProperty("checks").GetProperty("broker").GetProperty("status").GetString());
        var (accepted, job) = await Cluster.PostJobAsync(gateway.Client, "{\"model\":\"echo\",\"input\":{}}");
        Assert.True(accepted == HttpStatusCode.Accepted, $"{(int)accepted} {job}\n{cluster.Output}");
        await cluster.WaitReadyAsync(worker, HttpStatusCode.OK, "broker", "");
        await cluster.WaitAllTerminalAsync(6, Brokers.DeliveryWait);
        var id = job.GetProperty("id").GetString()!;
        Assert.Equal("succeeded", (await Cluster.GetJobAsync(gateway.Client, id)).GetProperty("status").GetString());
    }

    private int BeamPid() => int.Parse(File.ReadAllText(Path.Combine(brokers.RabbitDir, "rabbitmq.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
