namespace Sluice.Core.Scheduling;

/// <summary>
/// Decides, when a job that may fall back (<see cref="Queueing.QueuedJob.FallbackAllowed"/>) reaches execution,
/// whether its model can take it now, and if not, where it runs instead. Backends implement it with their
/// <c>Fallback</c> chains; without backends nothing is ever rerouted.
/// </summary>
public interface IJobRerouter
{
    /// <summary>
    /// True with a <paramref name="reroute"/> when <paramref name="model"/> cannot take the job now and another
    /// model can; the plan carries the job's input as that model takes it. Called on the batcher's loop: it must
    /// not block and, when it answers false, should not allocate.
    /// </summary>
    bool TryReroute(string model, string inputJson, object? parsed, out JobReroute? reroute);

    /// <summary>
    /// True with a <paramref name="reroute"/> when an attempt on <paramref name="model"/> failed and the model asks the
    /// job's retry to wait <paramref name="wait"/> (its upstream's <c>Retry-After</c>), longer than the job's own backoff,
    /// and another model of its chain can take the job now. Called on the failure path, not per step.
    /// </summary>
    bool TryRerouteHeldBack(string model, string inputJson, object? parsed, TimeSpan wait, out JobReroute? reroute);
}
