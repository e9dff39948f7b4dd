using Sluice.Core.Scheduling;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>
/// A rerouter whose every model falls back to <c>echo</c> when its upstream asks for a wait (Retry-After), and never
/// before a run: a run that fails with a long wait moves, as a remote backend's job moves to its fallback.
/// </summary>
internal sealed class HeldBackRerouter : IJobRerouter
{
    public bool TryReroute(string model, string inputJson, object? parsed, out JobReroute? reroute)
    {
        reroute = null;
        return false;
    }

    public bool TryRerouteHeldBack(string model, string inputJson, object? parsed, TimeSpan wait, out JobReroute? reroute)
    {
        reroute = new JobReroute("echo", null, model + " asked to wait", inputJson, null, null);
        return true;
    }
}
