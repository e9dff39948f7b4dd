using System.Diagnostics;
using System.Net;
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

    private int BeamPid() => int.Parse(File.ReadAllText(Path.Combine(brokers.RabbitDir, "rabbitmq.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
