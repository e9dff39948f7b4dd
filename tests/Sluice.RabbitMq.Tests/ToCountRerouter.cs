using Sluice.Core.Scheduling;

namespace Sluice.RabbitMq.Tests;

/// <summary>
/// A rerouter whose every model falls back to <c>count</c>, before a run (its backend unusable) and when its upstream
/// asks for a wait (Retry-After), as a remote backend's job moves to its fallback.
/// </summary>
internal sealed class ToCountRerouter : IJobRerouter
{
    public bool TryReroute(string model, string inputJson, object? parsed, out JobReroute? reroute)
    {
        reroute = new JobReroute("count", null, model + " is unusable", "{\"n\": 2}", null, null);
        return true;
    }

    public bool TryRerouteHeldBack(string model, string inputJson, object? parsed, TimeSpan wait, out JobReroute? reroute)
    {
        reroute = new JobReroute("count", null, model + " asked to wait", "{\"n\": 2}", null, null);
        return true;
    }
}
