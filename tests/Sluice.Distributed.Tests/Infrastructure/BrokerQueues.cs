using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Sluice.Distributed.Tests.Infrastructure;

/// <summary>What a cluster left in RabbitMQ, read with passive declares (ready messages only: stop the processes first).</summary>
public static class BrokerQueues
{
    private static readonly int[] DelayTiersMs = [100, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000];

    /// <summary>Messages in the models' lanes, the delay tiers and the dead-letter queue of a prefix (queues never declared count 0).</summary>
    public static async Task<long> MessagesLeftAsync(string queueUrl, string prefix, IEnumerable<string> models)
    {
        var queues = new List<string> { prefix + ".dead" };
        queues.AddRange(models.SelectMany(m => new[] { "high", "normal", "low" }.Select(lane => $"{prefix}.{m}.{lane}")));
        queues.AddRange(DelayTiersMs.Select(ms => $"{prefix}.delay.{ms}"));
        var factory = new ConnectionFactory { Uri = new Uri("amqp" + queueUrl[queueUrl.IndexOf("://", StringComparison.Ordinal)..]) };
        await using var conn = await factory.CreateConnectionAsync();
        long total = 0;
        foreach (var q in queues)
        {
            // A failed passive declare closes its channel: one channel per queue.
            await using var ch = await conn.CreateChannelAsync();
            try
            {
                total += (await ch.QueueDeclarePassiveAsync(q)).MessageCount;
            }
            catch (OperationInterruptedException)
            {
                // Not declared: nothing was ever routed there.
            }
        }

        return total;
    }
}
