using Microsoft.Extensions.Diagnostics.HealthChecks;

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

    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _probe;
    private string? _probedFor;
    private long _probeAt;

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

        lock (_gate)
        {
            // Concurrent checks share the probe in flight; a finished answer is reused for CacheFor unless a newer failure came.
            if (_probe is null || (_probe.IsCompleted && (!ReferenceEquals(_probedFor, failure) || time.GetElapsedTime(_probeAt) > CacheFor)))
            {
                _probeAt = time.GetTimestamp();
                _probedFor = failure;
                _probe = ProbeAsync(failure);
            }

            return _probe;
        }
    }

    private async Task<HealthCheckResult> ProbeAsync(string failure)
    {
        try
        {
            await queue.ProbeConfirmAsync(failure, ProbeTimeout, CancellationToken.None).WaitAsync(ProbeTimeout, time).ConfigureAwait(false);
            return HealthCheckResult.Healthy("connected to RabbitMQ; a probe publish was confirmed after: " + failure);
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"{failure}, and none confirmed since: a probe publish was not confirmed within {ProbeTimeout.TotalSeconds:0.0} s");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return HealthCheckResult.Unhealthy($"{failure}, and none confirmed since: a probe publish failed: {ex.Message.Split('\n')[0]}");
        }
    }
}
