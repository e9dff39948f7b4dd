using Sluice.Bench.Reporting;

namespace Sluice.Bench.Scenarios;

/// <summary>A named, self-contained load test: starts the servers it needs, runs, and returns its results.</summary>
internal interface IScenario
{
    string Name { get; }

    string Description { get; }

    /// <summary>The keys <c>--set KEY=VALUE</c> accepts (<see cref="ScenarioContext.Settings"/>).</summary>
    IReadOnlyList<string> SettingKeys { get; }

    Task<BenchRun> RunAsync(ScenarioContext context, CancellationToken cancellationToken);
}
