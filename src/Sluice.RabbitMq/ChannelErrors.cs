using RabbitMQ.Client.Exceptions;

namespace Sluice.RabbitMq;

/// <summary>Failures that only mean the channel (or its connection) is gone: the broker hands the deliveries out again.</summary>
internal static class ChannelErrors
{
    public static bool IsClosed(Exception ex) => ex is AlreadyClosedException or OperationInterruptedException or ObjectDisposedException;
}
