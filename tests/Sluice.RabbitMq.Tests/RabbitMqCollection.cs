namespace Sluice.RabbitMq.Tests;

[CollectionDefinition(Name)]
public sealed class RabbitMqCollection : ICollectionFixture<RabbitMqServers>
{
    public const string Name = "rabbitmq";
}
