using System.ComponentModel.DataAnnotations;

namespace Sluice.RabbitMq;

/// <summary>Options of the RabbitMQ transport (section <c>Sluice:Queue</c>).</summary>
public sealed class RabbitMqOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Queue";

    /// <summary><c>rabbitmq://user:pass@host:5672/vhost</c> (<c>amqp://</c> is accepted too).</summary>
    [Required]
    public string Url { get; set; } = "";

    /// <summary>Prefix of every exchange and queue, so several deployments (or test runs) can share a broker.</summary>
    [RegularExpression("^[a-zA-Z0-9._-]{1,64}$")]
    public string Prefix { get; set; } = "sluice";

    /// <summary>
    /// Unacknowledged deliveries per lane consumer, as a multiple of the model's batch capacity
    /// (<c>MaxBatchSize</c> or <c>MaxNumSeqs</c>): enough for the next batch to fill while one runs, small enough
    /// that a crashed worker strands little and other workers get their share. A model of batch capacity 1 always
    /// gets 1: with no batch to fill, a second delivery would only wait behind the running job.
    /// </summary>
    [Range(1, 16)]
    public int PrefetchMultiplier { get; set; } = 2;

    /// <summary>
    /// Longest wait for a publish and its confirm (opening the publisher channel included) before the submit answers
    /// 503; one that runs out turns readiness 503 until a publish is confirmed again. Also how long the broker gets to
    /// answer each try of the first connection at start (handshake and check channel), a model's queue declares, each depth
    /// poll, the event hub's and the dead-letter reconciler's setup and each try of a worker's consumer start, which would
    /// otherwise wait out the client's own timeouts (20 s for a channel round trip).
    /// </summary>
    public TimeSpan ConfirmTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often gateways refresh queue depths (the lanes' ready counts, capped by the store's queued jobs) for max_queue_depth and the queue-depth gauge.</summary>
    public TimeSpan DepthPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Redeliveries a quorum queue allows before dead-lettering by itself (a safety net under Sluice's own attempt count).</summary>
    [Range(1, 1000)]
    public int DeliveryLimit { get; set; } = 20;

    /// <summary>How long dead-lettered messages stay in the dead-letter queue (the store keeps the jobs).</summary>
    public TimeSpan DeadLetterRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// A job still queued in the store this long after it was journaled, and never confirmed by the broker (its
    /// gateway died between the two), is published again by a gateway's sweep. Far above <see cref="ConfirmTimeout"/>.
    /// </summary>
    public TimeSpan RepublishAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long past its deadline a job may stay running in the store before a gateway expires it. A live worker stops
    /// a running job at its deadline itself (a generation at its next step, milliseconds) and stores the outcome in one
    /// write, retried for about a second on a transient store error; a job still running this much later has no
    /// worker (killed, or hung, and the broker redelivers only to a live one). Longer delays the end that clients see;
    /// shorter lets a gateway beat a slow but live worker (a one-shot model call that outlasts the deadline): the job
    /// still ends expired, only the error says no worker stopped it.
    /// </summary>
    public TimeSpan RunningDeadlineGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for the broker at start before failing.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
