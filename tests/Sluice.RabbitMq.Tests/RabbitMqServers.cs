using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.RabbitMq.Tests;

/// <summary>One throwaway RabbitMQ (and PostgreSQL, for the store the transport consults) for the whole assembly.</summary>
public sealed class RabbitMqServers() : Brokers(rabbitMq: true, postgres: true);
