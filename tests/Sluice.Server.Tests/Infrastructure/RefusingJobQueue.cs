using Microsoft.Extensions.Options;
using Sluice.Core.Queueing;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>
/// The embedded queue behind a switch: while <see cref="Refuse"/> is set, every enqueue answers it, as a broker
/// transport does while RabbitMQ is down (Unavailable) or a lane is at its overflow limit (Full). While
/// <see cref="HeldEnqueues"/> is set, an enqueue waits for it first, as for a broker's confirm.
/// </summary>
internal sealed class RefusingJobQueue(TimeProvider time, IOptions<InProcessQueueOptions> options) : IJobQueue
{
    private readonly InProcessJobQueue _inner = new(time, options);

    public EnqueueResult? Refuse { get; set; }

    /// <summary>Completed when an enqueue that <see cref="HeldEnqueues"/> holds arrives.</summary>
    public TaskCompletionSource EnqueueHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>While set, an enqueue is answered only once this completes (a broker slow to confirm).</summary>
    public TaskCompletionSource? HeldEnqueues { get; set; }

    public ValueTask DeclareAsync(string model, int maxDepth, CancellationToken cancellationToken) => _inner.DeclareAsync(model, maxDepth, cancellationToken);

    public async ValueTask<EnqueueResult> EnqueueAsync(QueuedJob job, CancellationToken cancellationToken)
    {
        if (HeldEnqueues is { } held)
        {
            EnqueueHeld.TrySetResult();
            await held.Task.WaitAsync(cancellationToken);
        }

        return Refuse is { } refused ? refused : await _inner.EnqueueAsync(job, cancellationToken);
    }

    public IJobQueueReader GetReader(string model) => _inner.GetReader(model);

    public QueueDepth GetDepth(string model) => _inner.GetDepth(model);
}
