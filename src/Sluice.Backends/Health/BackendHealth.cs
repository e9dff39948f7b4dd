using Polly.CircuitBreaker;

namespace Sluice.Backends.Health;

/// <summary>
/// What Sluice knows about one upstream: the last health probe and the circuit breaker's state. Read by
/// <c>/health/ready</c>, <c>GET /v1/models</c> (model metadata) and the fallback router.
/// </summary>
/// <remarks>
/// The breaker's state is mirrored from its transition callbacks, which Polly runs in order, so the cooldown's end
/// always belongs to the current opening. Polly leaves an open circuit only when a call is attempted; once the
/// cooldown has passed the upstream therefore reads <c>half_open</c> (available), so traffic returns and one call
/// can decide, unless a health probe since the opening failed: then it reads <c>unhealthy</c> until a probe
/// succeeds (which closes the circuit), so routing by availability keeps away from an upstream known to be down.
/// With a fallback configured the router lets exactly one request claim that trial (<see cref="TryClaimTrial()"/>);
/// the others keep going to the fallback instead of being refused by the circuit.
/// </remarks>
public sealed class BackendHealth
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _trialTimeout;
    private volatile Probe? _last;
    private volatile string? _openedBy;
    private volatile Circuit _circuit = new(CircuitState.Closed, DateTimeOffset.MinValue, DateTimeOffset.MinValue);

    /// <summary>UTC ticks until which a request routed as the trial call holds the trial (0: free).</summary>
    private long _trialClaimedUntil;

    /// <summary>UTC ticks until which a queued job that reached execution holds the trial run (0: free).</summary>
    private long _trialRunUntil;

    internal BackendHealth(string name, TimeProvider time, TimeSpan trialTimeout)
    {
        Name = name;
        _time = time;
        _trialTimeout = trialTimeout;
    }

    public string Name { get; }

    /// <summary>
    /// <c>unknown</c> (not probed yet), <c>healthy</c>, <c>unhealthy</c> (last probe failed, also one since the circuit
    /// opened once its cooldown is over), <c>circuit_open</c> or <c>half_open</c>.
    /// </summary>
    public string State
    {
        get
        {
            var circuit = _circuit;
            if (circuit.State is CircuitState.Open or CircuitState.Isolated)
            {
                if (circuit.State != CircuitState.Open || !CooldownOver(circuit))
                {
                    return "circuit_open";
                }

                // The cooldown is over, but a probe taken since the circuit opened failed: the upstream is still down,
                // so traffic that may go elsewhere (a task's default model, a fallback) must not be sent to it as the
                // trial. A request naming it still runs the trial; the next successful probe closes the circuit.
                return _last is { Ok: false } probe && probe.At >= circuit.OpenedAt ? "unhealthy" : "half_open";
            }

            if (circuit.State == CircuitState.HalfOpen)
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

    /// <summary>
    /// How long until the open circuit takes its next trial call; zero when it is not open or its cooldown is over
    /// (the <c>Retry-After</c> of a request the circuit refused).
    /// </summary>
    internal TimeSpan UntilTrial
    {
        get
        {
            var circuit = _circuit;
            if (circuit.State != CircuitState.Open)
            {
                return TimeSpan.Zero;
            }

            var left = circuit.OpenUntil - _time.GetUtcNow();
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>True when the circuit is open and its cooldown has passed: the next call is a trial.</summary>
    internal bool AwaitsTrial => _circuit is { State: CircuitState.Open } c && CooldownOver(c);

    /// <summary>
    /// Lets one request be routed to an upstream whose circuit awaits its trial call; false while another request
    /// holds the trial or the trial is in flight. The request gives its claim back (<see cref="ReleaseTrial"/>) when
    /// it ends without having made the call (refused before it was queued, cancelled, moved to the fallback); a claim
    /// nobody gives back lapses after the request timeout.
    /// </summary>
    internal bool TryClaimTrial() => TryClaimTrial(out _);

    /// <inheritdoc cref="TryClaimTrial()"/>
    /// <param name="claim">The claim, for <see cref="ReleaseTrial"/>.</param>
    internal bool TryClaimTrial(out long claim)
    {
        claim = 0;
        if (!AwaitsTrial)
        {
            return false;
        }

        var now = _time.GetUtcNow().UtcTicks;
        var held = Interlocked.Read(ref _trialClaimedUntil);
        var until = now + _trialTimeout.Ticks;
        if (held > now || Interlocked.CompareExchange(ref _trialClaimedUntil, until, held) != held)
        {
            return false;
        }

        claim = until;
        return true;
    }

    /// <summary>
    /// Gives back <paramref name="claim"/> so the next request may be the trial at once, rather than every request
    /// going elsewhere for the request timeout. Only that claim: one the circuit's transitions cleared, or that lapsed
    /// and was claimed again, is left alone.
    /// </summary>
    internal void ReleaseTrial(long claim)
    {
        if (claim != 0)
        {
            Interlocked.CompareExchange(ref _trialClaimedUntil, 0, claim);
        }
    }

    /// <summary>True while the circuit's trial call is in flight: the circuit refuses every other call until it ends.</summary>
    internal bool TrialInFlight => _circuit.State == CircuitState.HalfOpen;

    /// <summary>
    /// Lets one queued job that reaches execution while the circuit awaits its trial be that trial; false for the
    /// others (and while it is in flight), which the circuit would refuse. Separate from <see cref="TryClaimTrial()"/>:
    /// that claim routes a new request here, and the job it became still needs its run when it reaches the front.
    /// </summary>
    internal bool TryStartTrialRun()
    {
        if (!AwaitsTrial)
        {
            return false;
        }

        var now = _time.GetUtcNow().UtcTicks;
        var held = Interlocked.Read(ref _trialRunUntil);
        return held <= now && Interlocked.CompareExchange(ref _trialRunUntil, now + _trialTimeout.Ticks, held) == held;
    }

    internal void Record(bool ok, string? error, DateTimeOffset at) => _last = new Probe(ok, error, at);

    /// <summary>The failure of the call that last opened the circuit (its message), for the "circuit open" error.</summary>
    internal string? OpenedBy => _openedBy;

    internal void OnOpened(TimeSpan breakDuration, string? cause = null)
    {
        _openedBy = cause;
        var now = _time.GetUtcNow();
        _circuit = new Circuit(CircuitState.Open, now + breakDuration, now);
        Interlocked.Exchange(ref _trialClaimedUntil, 0);
        Interlocked.Exchange(ref _trialRunUntil, 0);
    }

    internal void OnHalfOpened() => _circuit = new Circuit(CircuitState.HalfOpen, DateTimeOffset.MinValue, DateTimeOffset.MinValue);

    internal void OnClosed()
    {
        _circuit = new Circuit(CircuitState.Closed, DateTimeOffset.MinValue, DateTimeOffset.MinValue);
        Interlocked.Exchange(ref _trialClaimedUntil, 0);
        Interlocked.Exchange(ref _trialRunUntil, 0);
    }

    private bool CooldownOver(Circuit circuit) => _time.GetUtcNow() >= circuit.OpenUntil;

    private sealed record Probe(bool Ok, string? Error, DateTimeOffset At);

    private sealed record Circuit(CircuitState State, DateTimeOffset OpenUntil, DateTimeOffset OpenedAt);
}
