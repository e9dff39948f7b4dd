using System.Globalization;
using RabbitMQ.Client;
using Sluice.Core.Jobs;

namespace Sluice.RabbitMq;

/// <summary>
/// Names and declarations of everything Sluice uses on the broker (see docs/distributed.md):
/// <list type="bullet">
/// <item><c>{p}.work</c> (direct): routes <c>{model}.{lane}</c> to the quorum queue <c>{p}.{model}.{lane}</c>, one per priority lane.</item>
/// <item><c>{p}.delay.{ms}</c> (fanout) → quorum queue <c>{p}.delay.{ms}</c> with that message TTL, dead-lettering back to <c>{p}.work</c>
/// with the original routing key: retries with backoff, without head-of-line blocking between delays.</item>
/// <item><c>{p}.dlx</c> (fanout) → quorum queue <c>{p}.dead</c>: poison and exhausted jobs, with their <c>x-death</c> history;
/// and → quorum queue <c>{p}.dead.reconcile</c>, from which any process marks a job the broker dead-lettered by itself
/// (<c>x-delivery-limit</c>) as dead-lettered in the store.</item>
/// <item><c>{p}.events</c> (topic): job events (<c>event</c>) to every gateway, cancel requests (<c>control.cancel</c>) to every worker.</item>
/// </list>
/// </summary>
internal sealed class RabbitMqTopology(RabbitMqOptions options)
{
    /// <summary>Delay tiers of the retry queues, in milliseconds; a retry waits in the largest tier not above its backoff.</summary>
    public static readonly int[] DelayTiersMs = [100, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000];

    public static readonly string[] Lanes = ["high", "normal", "low"];

    public string Prefix { get; } = options.Prefix;

    public string WorkExchange => Prefix + ".work";

    public string DeadExchange => Prefix + ".dlx";

    public string DeadQueue => Prefix + ".dead";

    public string ReconcileQueue => Prefix + ".dead.reconcile";

    public string EventsExchange => Prefix + ".events";

    public static string Lane(JobPriority p) => p switch
    {
        JobPriority.High => "high",
        JobPriority.Low => "low",
        _ => "normal",
    };

    public static string RoutingKey(string model, JobPriority p) => model + "." + Lane(p);

    public string LaneQueue(string model, string lane) => Prefix + "." + model + "." + lane;

    public string DelayExchange(int tierMs) => Prefix + ".delay." + tierMs.ToString(CultureInfo.InvariantCulture);

    /// <summary>The tier a retry waits in: the largest not above <paramref name="delay"/> (retries never come early by more than the tier step).</summary>
    public static int TierFor(TimeSpan delay)
    {
        var ms = delay.TotalMilliseconds;
        var tier = DelayTiersMs[0];
        foreach (var t in DelayTiersMs)
        {
            if (t <= ms)
            {
                tier = t;
            }
        }

        return tier;
    }

    /// <summary>
    /// Whether the broker refused a declaration because the queue exists with other arguments (406 PRECONDITION_FAILED,
    /// "inequivalent arg"): a quorum queue keeps the arguments it was created with, so changing
    /// <c>DeliveryLimit</c> or <c>DeadLetterRetention</c> on a running deployment stops every process at start.
    /// </summary>
    public static bool IsArgumentMismatch(Exception ex) =>
        ex is RabbitMQ.Client.Exceptions.OperationInterruptedException { ShutdownReason: { ReplyCode: 406 } reason }
        && reason.ReplyText.Contains("inequivalent arg", StringComparison.Ordinal);

    /// <summary>The start error for <see cref="IsArgumentMismatch"/>: the broker's words plus the setting to restore or the way out.</summary>
    public static InvalidOperationException ArgumentMismatch(Exception ex)
    {
        var text = ((RabbitMQ.Client.Exceptions.OperationInterruptedException)ex).ShutdownReason!.ReplyText;
        // Bare, the start error was the client's "AMQP operation was interrupted … code=406 …", naming no setting.
        var setting = text.Contains("'x-delivery-limit'", StringComparison.Ordinal) ? "Sluice:Queue:DeliveryLimit"
            // The delay tiers carry a TTL too, a fixed one: only the dead-letter queues' follows a setting.
            : text.Contains("'x-message-ttl'", StringComparison.Ordinal) && text.Contains(".dead", StringComparison.Ordinal) ? "Sluice:Queue:DeadLetterRetention"
            : "the Sluice:Queue settings";
        return new InvalidOperationException(
            $"RabbitMQ refused to declare Sluice's queues ({text}); a queue keeps the arguments it was created with: set {setting} back to the value " +
            "the queues were created with, or use a new Sluice:Queue:Prefix (and drain and delete the old queues)", ex);
    }

    /// <summary>Declares the shared exchanges and queues (idempotent; identical arguments in every process).</summary>
    public async Task DeclareSharedAsync(IChannel ch, CancellationToken ct)
    {
        await ch.ExchangeDeclareAsync(WorkExchange, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: ct).ConfigureAwait(false);
        await ch.ExchangeDeclareAsync(DeadExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct).ConfigureAwait(false);
        await ch.ExchangeDeclareAsync(EventsExchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct).ConfigureAwait(false);
        await ch.QueueDeclareAsync(DeadQueue, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-message-ttl"] = (long)options.DeadLetterRetention.TotalMilliseconds,
        }, cancellationToken: ct).ConfigureAwait(false);
        await ch.QueueBindAsync(DeadQueue, DeadExchange, "", cancellationToken: ct).ConfigureAwait(false);
        await DeclareReconcileAsync(ch, ct).ConfigureAwait(false);
        foreach (var tier in DelayTiersMs)
        {
            var name = DelayExchange(tier);
            await ch.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct).ConfigureAwait(false);
            await ch.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?>
            {
                ["x-queue-type"] = "quorum",
                ["x-message-ttl"] = tier,
                ["x-dead-letter-exchange"] = WorkExchange,
                // At-least-once dead-lettering: an expiring retry is never lost between the two queues.
                ["x-dead-letter-strategy"] = "at-least-once",
                ["x-overflow"] = "reject-publish",
            }, cancellationToken: ct).ConfigureAwait(false);
            await ch.QueueBindAsync(name, name, "", cancellationToken: ct).ConfigureAwait(false);
        }
    }

    /// <summary>The dead-letter exchange and the queue the store is reconciled from (every dead-lettered message, a copy of <c>{p}.dead</c>'s).</summary>
    public async Task DeclareReconcileAsync(IChannel ch, CancellationToken ct)
    {
        await ch.ExchangeDeclareAsync(DeadExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct).ConfigureAwait(false);
        await ch.QueueDeclareAsync(ReconcileQueue, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-message-ttl"] = (long)options.DeadLetterRetention.TotalMilliseconds,
        }, cancellationToken: ct).ConfigureAwait(false);
        await ch.QueueBindAsync(ReconcileQueue, DeadExchange, "", cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>Declares a model's three lane queues.</summary>
    public async Task DeclareModelAsync(IChannel ch, string model, CancellationToken ct)
    {
        foreach (var lane in Lanes)
        {
            var queue = LaneQueue(model, lane);
            await ch.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?>
            {
                ["x-queue-type"] = "quorum",
                ["x-dead-letter-exchange"] = DeadExchange,
                ["x-dead-letter-strategy"] = "at-least-once",
                ["x-overflow"] = "reject-publish",
                ["x-delivery-limit"] = options.DeliveryLimit,
            }, cancellationToken: ct).ConfigureAwait(false);
            await ch.QueueBindAsync(queue, WorkExchange, model + "." + lane, cancellationToken: ct).ConfigureAwait(false);
        }
    }
}
