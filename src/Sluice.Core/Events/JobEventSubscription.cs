using System.Threading.Channels;
using Sluice.Core.Jobs;

namespace Sluice.Core.Events;

/// <summary>A subscriber's view of one job stream: replayed events first, then live ones; disposing unsubscribes.</summary>
public sealed class JobEventSubscription : IDisposable
{
    private readonly Action<JobEventSubscription> _unsubscribe;
    private int _disposed;
    private int _superseded;

    public JobEventSubscription(Channel<JobEvent> channel, Action<JobEventSubscription> unsubscribe)
    {
        Channel = channel;
        _unsubscribe = unsubscribe;
    }

    /// <summary>The hub's log this subscription reads (its hub's unsubscribe removes it there); null when made outside one.</summary>
    internal ISubscriberList? Log { get; init; }

    /// <summary>The subscriber's channel; completes after the terminal event.</summary>
    internal Channel<JobEvent> Channel { get; }

    /// <summary>Events in id order.</summary>
    public ChannelReader<JobEvent> Reader => Channel.Reader;

    /// <summary>
    /// True once the reader has ended because the stream it followed was replaced by the job's next run (a requeued
    /// dead letter) before its terminal event: subscribing again follows that run, live from its <c>queued</c> event.
    /// </summary>
    public bool Superseded => Volatile.Read(ref _superseded) != 0;

    /// <summary>Marks the subscription superseded (before its channel is completed, so a reader that sees the end sees the flag).</summary>
    internal void MarkSuperseded() => Volatile.Write(ref _superseded, 1);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _unsubscribe(this);
        }
    }
}
