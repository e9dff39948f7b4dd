using RabbitMQ.Client;

namespace Sluice.Distributed.Tests.Infrastructure;

/// <summary>
/// The broker refusing a cluster's publishes to sleep-batch's normal lane: the lane unbound from the work exchange, a
/// mandatory publish comes back unroutable (a failed publish, 503), until <see cref="BindAsync"/>.
/// </summary>
internal sealed class LaneBinding : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly string _lane;
    private readonly string _exchange;

    private LaneBinding(IConnection connection, IChannel channel, string prefix)
    {
        _connection = connection;
        _channel = channel;
        _lane = prefix + ".sleep-batch.normal";
        _exchange = prefix + ".work";
    }

    public static async Task<LaneBinding> UnbindAsync(Brokers brokers, Cluster cluster)
    {
        var factory = new ConnectionFactory { Uri = new Uri("amqp" + brokers.QueueUrl[brokers.QueueUrl.IndexOf("://", StringComparison.Ordinal)..]) };
        var connection = await factory.CreateConnectionAsync();
        var binding = new LaneBinding(connection, await connection.CreateChannelAsync(), cluster.Prefix);
        await binding._channel.QueueUnbindAsync(binding._lane, binding._exchange, "sleep-batch.normal");
        return binding;
    }

    public Task BindAsync() => _channel.QueueBindAsync(_lane, _exchange, "sleep-batch.normal");

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
