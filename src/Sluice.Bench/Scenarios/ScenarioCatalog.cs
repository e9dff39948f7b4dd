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
        new BackendsScenario(),
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

    /// <summary>Throws when a setting is not one of <paramref name="scenario"/>'s keys, listing the valid ones.</summary>
    public static void CheckSettings(IScenario scenario, IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(keys);
        foreach (string key in keys)
        {
            if (!scenario.SettingKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw new BenchConfigurationException(scenario.SettingKeys.Count == 0
                    ? $"--set {key}: scenario {scenario.Name} takes no settings"
                    : $"--set {key}: unknown setting for scenario {scenario.Name} (valid: {string.Join(", ", scenario.SettingKeys)})");
            }
        }
    }
}
