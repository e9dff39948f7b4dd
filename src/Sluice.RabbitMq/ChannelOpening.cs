using RabbitMQ.Client;

namespace Sluice.RabbitMq;

/// <summary>
/// Channel opens the caller can stop waiting for. RabbitMQ.Client 7's channel open does not heed cancellation: on a
/// broker that does not answer (a hung node, a partition with no reset, kill -STOP of its VM) it waits out the client's
/// 20 s continuation timeout. The caller stops waiting when its token is cancelled; the open goes on, and a channel that
/// opens after all is closed rather than left open and unused on the broker.
/// </summary>
internal static class ChannelOpening
{
    public static async Task<IChannel> OpenAsync(IConnection connection, CancellationToken ct)
    {
        var opening = connection.CreateChannelAsync(cancellationToken: CancellationToken.None);
        try
        {
            return await opening.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _ = CloseWhenOpenAsync(opening);
            throw;
        }
    }

    private static async Task CloseWhenOpenAsync(Task<IChannel> opening)
    {
        IChannel channel;
        try
        {
            channel = await opening.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Never opened: nothing to close.
            return;
        }

        await ChannelErrors.CloseQuietlyAsync(channel).ConfigureAwait(false);
    }
}
