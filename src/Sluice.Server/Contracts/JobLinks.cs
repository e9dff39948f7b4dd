namespace Sluice.Server.Contracts;

/// <summary>Where to follow a job.</summary>
public sealed record JobLinks(string Self, string Events, string Ws);
