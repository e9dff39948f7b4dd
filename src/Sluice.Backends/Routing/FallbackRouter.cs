using Sluice.Backends.Health;
using Sluice.Core.Models;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;

namespace Sluice.Backends.Routing;

/// <summary>
/// Picks the model a request runs on: the one asked for, unless it is unhealthy (probe failed, circuit open, not
/// ready) or overloaded (its queue at <c>FallbackQueueDepth</c>, else full) and has a <c>Fallback</c>, which is then
/// judged the same way (chains are followed, cycles are not).
/// </summary>
internal sealed class FallbackRouter(BackendRegistry backends, ModelRegistry models, IJobQueue queue)
{
    private const int MaxHops = 4;

    /// <summary>The model to submit to; <paramref name="reason"/> says why it is not <paramref name="model"/>.</summary>
    public string Resolve(string model, out string? reason)
    {
        reason = null;
        var current = model;
        for (var hop = 0; hop < MaxHops; hop++)
        {
            var next = Next(current);
            if (next is null)
            {
                return current;
            }

            var why = WhyNotUsable(current);
            if (why is null)
            {
                return current;
            }

            reason ??= $"{current} is {why}";
            current = next;
        }

        return current;
    }

    /// <summary>The configured fallback of <paramref name="model"/>, if any.</summary>
    public string? Next(string model) => backends.TryGet(model, out var b) ? b.Options.Fallback : null;

    private string? WhyNotUsable(string model)
    {
        if (!models.TryGet(model, out var entry))
        {
            return "unknown";
        }

        if (entry.State != ModelState.Ready)
        {
            return entry.State.ToString().ToLowerInvariant();
        }

        if (entry.Model is IBackendModel b && !b.Upstream.Health.IsAvailable)
        {
            return b.Upstream.Health.State;
        }

        var limit = backends.TryGet(model, out var bm) && bm.Options.FallbackQueueDepth > 0 ? bm.Options.FallbackQueueDepth : entry.Settings.MaxQueueDepth;
        return queue.GetDepth(model).Total >= limit ? "overloaded" : null;
    }
}
