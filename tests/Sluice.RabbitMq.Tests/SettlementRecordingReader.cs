using System.Diagnostics.CodeAnalysis;
using Sluice.Core.Queueing;

namespace Sluice.RabbitMq.Tests;

/// <summary>A lane reader that records how the first delivery let go through it was settled (acknowledged, retried later, dead-lettered).</summary>
internal sealed class SettlementRecordingReader(IJobQueueReader inner) : IJobQueueReader
{
    /// <summary>Completed with "ack", "retry" or "dead" once a delivery is let go.</summary>
    public TaskCompletionSource<string> Settled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Called on every <see cref="IsStale"/> check (a test's hook into the lifecycle between its steps).</summary>
    public Action? OnStaleCheck { get; set; }

    /// <summary>Called on every <see cref="AcknowledgeAsync"/>, before the delivery is acknowledged (a test's hook into that moment).</summary>
    public Action? OnAcknowledge { get; set; }

    public int Count => inner.Count;

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => inner.WaitToReadAsync(cancellationToken);

    public bool TryRead([NotNullWhen(true)] out QueuedJob? job) => inner.TryRead(out job);

    public bool TryPeekOldest(out DateTimeOffset enqueuedAt) => inner.TryPeekOldest(out enqueuedAt);

    public bool IsStale(QueuedJob job)
    {
        OnStaleCheck?.Invoke();
        return inner.IsStale(job);
    }

    public async ValueTask AcknowledgeAsync(QueuedJob job, CancellationToken cancellationToken)
    {
        OnAcknowledge?.Invoke();
        await inner.AcknowledgeAsync(job, cancellationToken);
        Settled.TrySetResult("ack");
    }

    public async ValueTask RetryLaterAsync(QueuedJob job, TimeSpan delay, CancellationToken cancellationToken)
    {
        await inner.RetryLaterAsync(job, delay, cancellationToken);
        Settled.TrySetResult("retry");
    }

    public async ValueTask DeadLetterAsync(QueuedJob job, string error, CancellationToken cancellationToken)
    {
        await inner.DeadLetterAsync(job, error, cancellationToken);
        Settled.TrySetResult("dead");
    }
}
