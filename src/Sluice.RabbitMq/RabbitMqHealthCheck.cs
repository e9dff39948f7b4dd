using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sluice.Core.Health;

namespace Sluice.RabbitMq;

/// <summary>
/// Ready while the AMQP connection is open and the broker confirms publishes: a gateway cannot accept a job without a
/// confirm, and a frozen or partitioned broker keeps the connection looking open until the heartbeat gives up on it
/// (about 20 to 30 s) while every submit waits out the confirm timeout and answers 503. Costs the broker nothing while
/// confirms succeed (a state read); after a confirm timed out or was nacked, with none confirmed since, a probe publish
/// (<see cref="RabbitMqJobQueue.ProbeConfirmAsync"/>) decides: one at a time, within <see cref="ProbeTimeout"/>, its answer
/// reused for <see cref="CacheFor"/>. Turns ready again by itself once a publish or a probe is confirmed.
/// </summary>
internal sealed class RabbitMqHealthCheck(RabbitMqConnection connection, RabbitMqJobQueue queue, TimeProvider time) : IHealthCheck
{
    /// <summary>Longest wait for a probe's confirm: below a Kubernetes probe's default 1 s timeout, so the probe reads our answer.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(800);

    /// <summary>How long a probe's answer is reused.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);

    private readonly CachedHealthProbe<string> _probe = new(
        (failure, _) => ProbeAsync(queue, failure), Failed, ProbeTimeout, CacheFor, time);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!connection.IsOpen)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("not connected to RabbitMQ (down, restarting, or not reached yet)"));
        }

        if (queue.ConfirmFailure is not { } failure)
        {
            return Task.FromResult(HealthCheckResult.Healthy("connected to RabbitMQ"));
        }

        // Concurrent checks share the probe in flight; a finished answer is reused for CacheFor unless a newer failure came.
        return _probe.CheckAsync(failure);
    }

    // Not given the probe's token: the publish times itself out and says so (a TimeoutException), where a cancelled
    // token would read as a failed publish; the wait for it is bounded by the probe all the same.
    private static async Task<HealthCheckResult> ProbeAsync(RabbitMqJobQueue queue, string failure)
    {
        await queue.ProbeConfirmAsync(failure, ProbeTimeout, CancellationToken.None).ConfigureAwait(false);
        return HealthCheckResult.Healthy("connected to RabbitMQ; a probe publish was confirmed after: " + failure);
    }

    // The answer goes to anonymous callers of /health/ready: the client's message (which can name hosts, queues and
    // vhosts) stays with the exception, which the health transition log writes once per change.
    internal static HealthCheckResult Failed(string failure, Exception ex) => ex is TimeoutException
        ? HealthCheckResult.Unhealthy($"{failure}, and none confirmed since: a probe publish was not confirmed within {ProbeTimeout.TotalSeconds:0.0} s", ex)
        : HealthCheckResult.Unhealthy($"{failure}, and none confirmed since: a probe publish failed ({ex.GetType().Name})", ex);
}
