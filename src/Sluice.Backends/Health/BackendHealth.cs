using Polly.CircuitBreaker;

namespace Sluice.Backends.Health;

/// <summary>
/// What Sluice knows about one upstream: the last health probe and the circuit breaker's state. Read by
/// <c>/health/ready</c>, <c>GET /v1/models</c> (model metadata) and the fallback router.
/// </summary>
public sealed class BackendHealth
{
    private readonly CircuitBreakerStateProvider _breaker;
    private volatile Probe? _last;

    internal BackendHealth(string name, CircuitBreakerStateProvider breaker)
    {
        Name = name;
        _breaker = breaker;
    }

    public string Name { get; }

    /// <summary><c>unknown</c> (not probed yet), <c>healthy</c>, <c>unhealthy</c> (last probe failed), <c>circuit_open</c> or <c>half_open</c>.</summary>
    public string State
    {
        get
        {
            var circuit = _breaker.CircuitState;
            if (circuit is CircuitState.Open or CircuitState.Isolated)
            {
                return "circuit_open";
            }

            if (circuit == CircuitState.HalfOpen)
            {
                return "half_open";
            }

            return _last switch
            {
                null => "unknown",
                { Ok: true } => "healthy",
                _ => "unhealthy",
            };
        }
    }

    /// <summary>False while requests should rather go elsewhere (probe failed or circuit open).</summary>
    public bool IsAvailable => State is "healthy" or "unknown" or "half_open";

    /// <summary>The last probe's error, if it failed.</summary>
    public string? LastError => _last?.Error;

    /// <summary>When the last probe finished.</summary>
    public DateTimeOffset? LastProbeAt => _last?.At;

    internal void Record(bool ok, string? error, DateTimeOffset at) => _last = new Probe(ok, error, at);

    private sealed record Probe(bool Ok, string? Error, DateTimeOffset At);
}
