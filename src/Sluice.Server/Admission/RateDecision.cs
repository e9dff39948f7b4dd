namespace Sluice.Server.Admission;

/// <summary>A rate-limit verdict: allowed, or refused with the time until enough tokens are back.</summary>
public readonly record struct RateDecision(bool Allowed, TimeSpan RetryAfter, double Remaining);
