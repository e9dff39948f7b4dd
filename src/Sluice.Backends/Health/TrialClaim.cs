namespace Sluice.Backends.Health;

/// <summary>
/// A request's claim on a backend's circuit trial call (see <see cref="BackendHealth.TryClaimTrial(out long)"/>), or
/// none. The request releases it when it ends, whatever happened: a trial that ran has cleared it already (the circuit
/// closed or opened again), and one that never reached the upstream must not keep others from the backend.
/// </summary>
internal readonly record struct TrialClaim(BackendHealth? Health, long Until)
{
    public void Release() => Health?.ReleaseTrial(Until);
}
