using Sluice.Bench.Load;

namespace Sluice.Bench.Scenarios;

/// <summary>One probe of a ceiling search: the rate, what was measured, whether it met the SLO, and server CPU (fraction of the machine).</summary>
internal sealed record CeilingProbe(double Rate, StageResult Stage, bool Passed, double ServerCpu)
{
    /// <summary>The server still had work queued long after this (overloaded) probe: later probes would measure the backlog.</summary>
    public bool ServerStalled { get; init; }
}
