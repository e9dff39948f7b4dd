namespace Sluice.Bench.Scenarios;

/// <summary>The outcome of a ceiling search; <see cref="Ceiling"/> is null when no probe passed.</summary>
internal sealed record CeilingResult(CeilingProbe? Ceiling, IReadOnlyList<CeilingProbe> Probes, bool HitSearchLimit)
{
    public double Rate => Ceiling?.Rate ?? 0;

    /// <summary>The search stopped because the server did not drain after an overloaded probe.</summary>
    public bool ServerStalled { get; init; }
}
