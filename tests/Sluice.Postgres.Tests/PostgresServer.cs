using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Postgres.Tests;

/// <summary>One throwaway PostgreSQL for the whole assembly; each test class takes a database of its own.</summary>
public sealed class PostgresServer() : Brokers(rabbitMq: false, postgres: true);
