using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Sluice.RabbitMq;

/// <summary>Failures that only mean the channel (or its connection) is gone: the broker hands the deliveries out again.</summary>
internal static class ChannelErrors
{
    public static bool IsClosed(Exception ex) => ex is AlreadyClosedException or OperationInterruptedException or ObjectDisposedException;

    /// <summary>Closes and disposes a channel at shutdown; one that went down with its connection has nothing left to close.</summary>
    public static async ValueTask CloseQuietlyAsync(IChannel? channel)
    {
        if (channel is null)
        {
            return;
        }

        try
        {
            await channel.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Closed with its connection already.
        }

        channel.Dispose();
    }
}
