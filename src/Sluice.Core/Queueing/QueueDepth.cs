namespace Sluice.Core.Queueing;

/// <summary>Jobs waiting per priority lane.</summary>
public readonly record struct QueueDepth(int High, int Normal, int Low)
{
    public int Total => High + Normal + Low;
}
