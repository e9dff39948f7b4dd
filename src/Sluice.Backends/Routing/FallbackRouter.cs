using Sluice.Backends.Configuration;
using Sluice.Backends.Health;
using Sluice.Core.Configuration;
using Sluice.Core.Models;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;

namespace Sluice.Backends.Routing;

/// <summary>
/// Picks the model a request runs on: the one asked for, unless it is unhealthy (probe failed, circuit open, not
/// ready) or overloaded (its queue at <c>FallbackQueueDepth</c>, else full) and has a <c>Fallback</c>, which is then
/// judged the same way. Chains are followed; a fallback that names no registered model is never used, and a chain
/// that loops back leaves the request on the model asked for, which then answers with its own error.
/// </summary>
internal sealed class FallbackRouter(BackendRegistry backends, ModelRegistry models, IJobQueue queue) : IConfigurationProblemSource
{
    private const int MaxHops = 4;

    /// <summary>The model to submit to; <paramref name="reason"/> says why it is not <paramref name="model"/>.</summary>
    public string Resolve(string model, out string? reason)
    {
        // No caller to give a trial claim back: it lapses after the request timeout.
        return Resolve(model, out reason, out _);
    }

    /// <summary>
    /// As <see cref="Resolve(string, out string?)"/>; <paramref name="claim"/> is the trial call the request was routed
    /// as, if it was, which the caller releases once the request has ended (see <see cref="TrialClaim"/>).
    /// </summary>
    public string Resolve(string model, out string? reason, out TrialClaim claim)
    {
        reason = null;
        claim = default;
        var current = model;
        for (var hop = 0; hop < MaxHops; hop++)
        {
            var next = Next(current);
            if (next is null)
            {
                return current;
            }

            var why = WhyNotUsable(current, out claim);
            if (why is null)
            {
                return current;
            }

            if (InChain(model, next, hop))
            {
                // Every model of the loop was judged unusable: bouncing between them helps no one.
                reason = null;
                return model;
            }

            reason ??= $"{current} is {why}";
            current = next;
        }

        return current;
    }

    /// <summary>
    /// For a job queued on <paramref name="model"/> that reaches execution: null while the model can take it (the
    /// job runs there), else the first model of its fallback chain that can, with <paramref name="reason"/>. Only
    /// health counts here, not queue depth: the job was accepted, and moving it because of a queue would only churn.
    /// A model past its cooldown lets one job through as the circuit's trial; the others move.
    /// </summary>
    public string? ResolveQueued(string model, out string? reason)
    {
        reason = null;
        if (Next(model) is null || WhyCannotRun(model) is not { } why)
        {
            return null;
        }

        var target = FirstThatCanTake(model);
        if (target is not null)
        {
            reason = $"{model} is {why}";
        }

        return target;
    }

    /// <summary>
    /// For a job whose attempt on <paramref name="model"/> failed and whose retry the model would hold back
    /// <paramref name="wait"/> (the upstream's <c>Retry-After</c>, longer than the job's backoff): the first model of
    /// its fallback chain that can take it now, with <paramref name="reason"/>; null when none can (the retry then
    /// waits). The upstream said it will not take calls for that long: waiting it out while a fallback idles helps no
    /// one (LiteLLM falls back on a rate limit too). Claims no trial call: the job does not run on this model.
    /// </summary>
    public string? ResolveHeldBack(string model, TimeSpan wait, out string? reason)
    {
        reason = null;
        if (Next(model) is null || FirstThatCanTake(model) is not { } target)
        {
            return null;
        }

        // The same calls may have opened the circuit meanwhile: then that is the reason, as for a queued job.
        reason = models.TryGet(model, out var entry) && entry.Model is IBackendModel b && !b.Upstream.Health.IsAvailable
            ? $"{model} is {b.Upstream.Health.State}"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{model}'s upstream asked for {Math.Ceiling(wait.TotalSeconds):0} s before another call (Retry-After)");
        return target;
    }

    /// <summary>The first model of <paramref name="model"/>'s fallback chain that can take a moved job now; null when none can.</summary>
    private string? FirstThatCanTake(string model)
    {
        var current = model;
        for (var hop = 0; hop < MaxHops; hop++)
        {
            var next = Next(current);
            if (next is null || InChain(model, next, hop))
            {
                // The chain ends (or loops) with no model that can run it: it stays, and answers with its own error.
                return null;
            }

            if (CanTake(next))
            {
                return next;
            }

            current = next;
        }

        return null;
    }

    /// <summary>The configured fallback of <paramref name="model"/>, if any and if it names a registered model.</summary>
    public string? Next(string model) =>
        backends.TryGet(model, out var b) && b.Options.Fallback is { } fallback && models.TryGet(fallback, out _) ? fallback : null;

    /// <summary>
    /// Fallbacks that cannot work as configured (a target that is no registered model, a chain that loops back),
    /// one message each, naming the setting; checked once the models are registered.
    /// </summary>
    public IReadOnlyList<string> ConfigurationProblems()
    {
        var problems = new List<string>();
        foreach (var b in backends.Models)
        {
            if (b.Options.Fallback is not { } fallback)
            {
                continue;
            }

            var setting = $"{BackendsOptions.SectionName}:{b.Upstream.Name}:Fallback";
            if (!models.TryGet(fallback, out _))
            {
                problems.Add($"{setting} = '{fallback}' names no registered model (see GET /v1/models); requests for '{b.Name}' are never rerouted and fail with its own error while it is down.");
                continue;
            }

            // Report a loop once, from its first member by name.
            var chain = new List<string> { b.Name };
            for (var next = Next(b.Name); next is not null && chain.Count <= MaxHops; next = Next(next))
            {
                if (next == b.Name)
                {
                    if (IsFirst(b.Name, chain))
                    {
                        problems.Add($"{setting}: the fallbacks loop ({string.Join(" → ", chain)} → {b.Name}); when all of them are unusable a request stays on the model asked for.");
                    }

                    break;
                }

                if (chain.Contains(next))
                {
                    break;
                }

                chain.Add(next);
            }
        }

        return problems;
    }

    private static bool IsFirst(string name, List<string> chain)
    {
        foreach (var c in chain)
        {
            if (string.CompareOrdinal(c, name) < 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when <paramref name="target"/> is one of the first <paramref name="hop"/> + 1 models of the chain from <paramref name="model"/>.</summary>
    private bool InChain(string model, string target, int hop)
    {
        string? c = model;
        for (var i = 0; i <= hop && c is not null; i++, c = Next(c))
        {
            if (c == target)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Why the model asked for cannot run a job reaching execution now; null when it can.</summary>
    private string? WhyCannotRun(string model)
    {
        if (!models.TryGet(model, out var entry))
        {
            return "unknown";
        }

        if (entry.State != ModelState.Ready)
        {
            return entry.State.ToString().ToLowerInvariant();
        }

        if (entry.Model is not IBackendModel b)
        {
            return null;
        }

        var health = b.Upstream.Health;
        if (!health.IsAvailable)
        {
            return health.State;
        }

        // Past its cooldown the circuit takes one call, the trial; while it runs, the circuit refuses the others.
        if (health.TrialInFlight || (health.AwaitsTrial && !health.TryStartTrialRun()))
        {
            return "half_open (a trial call decides whether it is back)";
        }

        return null;
    }

    /// <summary>True when a fallback can take a moved job: ready, and its upstream (if any) not known to be down.</summary>
    private bool CanTake(string model) =>
        models.TryGet(model, out var entry) && entry.State == ModelState.Ready
        && (entry.Model is not IBackendModel b || b.Upstream.Health.IsAvailable);

    private string? WhyNotUsable(string model, out TrialClaim claim)
    {
        claim = default;
        if (!models.TryGet(model, out var entry))
        {
            return "unknown";
        }

        if (entry.State != ModelState.Ready)
        {
            return entry.State.ToString().ToLowerInvariant();
        }

        var health = entry.Model is IBackendModel b ? b.Upstream.Health : null;
        if (health is not null && !health.IsAvailable)
        {
            return health.State;
        }

        var limit = backends.TryGet(model, out var bm) && bm.Options.FallbackQueueDepth > 0 ? bm.Options.FallbackQueueDepth : entry.Settings.MaxQueueDepth;
        if (queue.GetDepth(model).Total >= limit)
        {
            return "overloaded";
        }

        // A circuit past its cooldown takes one trial call; while it is claimed or in flight the rest go to the
        // fallback rather than into a circuit that would refuse them. Claimed last: the request is routed here.
        if (health is not null && health.State == "half_open")
        {
            if (!health.TryClaimTrial(out var until))
            {
                return "half_open (a trial call decides whether it is back)";
            }

            claim = new TrialClaim(health, until);
        }

        return null;
    }
}
