using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sluice.RabbitMq;

/// <summary>
/// Ready only while the AMQP connection is open: a gateway cannot accept a job (publisher confirms) and a worker
/// receives nothing without it. Reads the connection state only, so probes cost the broker nothing.
/// </summary>
internal sealed class RabbitMqHealthCheck(RabbitMqConnection connection) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(connection.IsOpen
            ? HealthCheckResult.Healthy("connected to RabbitMQ")
            : HealthCheckResult.Unhealthy("not connected to RabbitMQ (down, restarting, or not reached yet)"));
}
