namespace Sluice.Bench.Scenarios;

/// <summary>A model of the batching scenario: how to call it, its P99 SLO, the search's start rate and its server settings.</summary>
internal sealed record BatchingModel(string Name, string Model, string InputJson, double SloMs, double StartRate, IReadOnlyList<string> ServerArgs, bool Generative);
