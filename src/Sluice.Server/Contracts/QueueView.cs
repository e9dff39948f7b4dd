namespace Sluice.Server.Contracts;

/// <summary>Live queue depth by lane, and the batch now running.</summary>
public sealed record QueueView(int High, int Normal, int Low, int Total, int InFlight);
