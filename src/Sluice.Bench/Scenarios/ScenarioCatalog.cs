namespace Sluice.Bench.Scenarios;

/// <summary>The scenarios of <c>./sluice bench scenario NAME</c>.</summary>
internal static class ScenarioCatalog
{
    public static IReadOnlyList<IScenario> All { get; } =
    [
        new BatchingScenario(),
        new OverheadScenario(),
        new StreamsScenario(),
        new TidalScenario(),
        new ConcurrencyScenario(),
    ];

    public static IScenario? Find(string name)
    {
        foreach (IScenario s in All)
        {
            if (string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return s;
            }
        }

        return null;
    }
}
