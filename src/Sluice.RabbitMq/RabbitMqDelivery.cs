using RabbitMQ.Client;

namespace Sluice.RabbitMq;

/// <summary>Where a job came from: the channel, its delivery tag, and the connection generation it belongs to.</summary>
internal sealed record RabbitMqDelivery(IChannel Channel, ulong Tag, int Generation);
