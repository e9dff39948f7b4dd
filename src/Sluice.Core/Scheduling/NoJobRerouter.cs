namespace Sluice.Core.Scheduling;

/// <summary>The rerouter when no backend registers one: every job runs on the model it was queued for.</summary>
internal sealed class NoJobRerouter : IJobRerouter
{
    public bool TryReroute(string model, string inputJson, object? parsed, out JobReroute? reroute)
    {
        reroute = null;
        return false;
    }

    public bool TryRerouteHeldBack(string model, string inputJson, object? parsed, TimeSpan wait, out JobReroute? reroute)
    {
        reroute = null;
        return false;
    }
}
