using System.Threading.Channels;
using Sluice.Core.Jobs;

namespace Sluice.Core.Events;

/// <summary>A subscriber's view of one job stream: replayed events first, then live ones; disposing unsubscribes.</summary>
public sealed class JobEventSubscription : IDisposable
{
    private readonly Action<JobEventSubscription> _unsubscribe;
    private int _disposed;

    public JobEventSubscription(Channel<JobEvent> channel, Action<JobEventSubscription> unsubscribe)
    {
        Channel = channel;
        _unsubscribe = unsubscribe;
    }

    /// <summary>The subscriber's channel; completes after the terminal event.</summary>
    internal Channel<JobEvent> Channel { get; }

    /// <summary>Events in id order.</summary>
    public ChannelReader<JobEvent> Reader => Channel.Reader;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _unsubscribe(this);
        }
    }
}
