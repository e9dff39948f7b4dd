namespace Sluice.Distributed.Tests.Infrastructure;

/// <summary>Every test of the assembly shares one RabbitMQ and one PostgreSQL, and runs alone (they restart them).</summary>
[CollectionDefinition(Name)]
public sealed class BrokersCollection : ICollectionFixture<Brokers>
{
    public const string Name = "brokers";
}
