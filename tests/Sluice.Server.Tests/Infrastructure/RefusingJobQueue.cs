using Microsoft.Extensions.Options;
using Sluice.Core.Queueing;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>
/// The embedded queue behind a switch: while <see cref="Refuse"/> is set, every enqueue answers it, as a broker
/// transport does while RabbitMQ is down (Unavailable) or a lane is at its overflow limit (Full).
/// </summary>
internal sealed class RefusingJobQueue(TimeProvider time, IOptions<InProcessQueueOptions> options) : IJobQueue
{
    private readonly InProcessJobQueue _inner = new(time, options);

    public EnqueueResult? Refuse { get; set; }

    public ValueTask DeclareAsync(string model, int maxDepth, CancellationToken cancellationToken) => _inner.DeclareAsync(model, maxDepth, cancellationToken);

    public ValueTask<EnqueueResult> EnqueueAsync(QueuedJob job, CancellationToken cancellationToken) =>
        Refuse is { } refused ? ValueTask.FromResult(refused) : _inner.EnqueueAsync(job, cancellationToken);

    public IJobQueueReader GetReader(string model) => _inner.GetReader(model);

    public QueueDepth GetDepth(string model) => _inner.GetDepth(model);
}
