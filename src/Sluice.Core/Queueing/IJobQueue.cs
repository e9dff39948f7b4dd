namespace Sluice.Core.Queueing;

/// <summary>
/// Moves accepted jobs to the schedulers. The in-process implementation keeps priority lanes in memory (the
/// SQLite journal makes them durable); the RabbitMQ transport publishes with confirms and consumes with manual
/// acknowledgement. Schedulers and the API only see this interface.
/// </summary>
public interface IJobQueue
{
    /// <summary>Declares the queue of a model (idempotent); called for every model this process serves or routes to.</summary>
    ValueTask DeclareAsync(string model, int maxDepth, CancellationToken cancellationToken);

    /// <summary>Offers a job; never blocks waiting for room.</summary>
    ValueTask<EnqueueResult> EnqueueAsync(QueuedJob job, CancellationToken cancellationToken);

    /// <summary>The consumer side of a model's queue (only on processes that run the model).</summary>
    IJobQueueReader GetReader(string model);

    /// <summary>Jobs waiting for <paramref name="model"/> in each lane (high, normal, low), as far as this process knows.</summary>
    QueueDepth GetDepth(string model);

    /// <summary>
    /// True when unfinished jobs must be re-enqueued from the store at start (the in-process queue forgets them
    /// on a crash). A broker keeps unacknowledged messages itself, so re-enqueueing would run them twice.
    /// </summary>
    bool RecoversFromStore => true;
}
