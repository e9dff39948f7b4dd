namespace Sluice.Bench.Scenarios;

/// <summary>What a scenario gets to run with.</summary>
internal sealed record ScenarioContext
{
    /// <summary>The repository root (holds Sluice.slnx).</summary>
    public required string RepoRoot { get; init; }

    /// <summary>The built CLI the servers are started from.</summary>
    public required string SluiceDll { get; init; }

    /// <summary>Where results, server logs and charts go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Runs stages with the live display.</summary>
    public required BenchSession Session { get; init; }

    /// <summary>Shorter stages and smaller counts (smoke runs and tests); figures are not comparable.</summary>
    public bool Quick { get; init; }

    /// <summary>Scenario-specific overrides ("streams" = 10000, "slo-ms" = 500, ...).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Longest a server may take to become ready.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public string ServerLog(string name) => Path.Combine(OutputDirectory, "logs", name + ".log");

    public Task<SluiceServerProcess> StartServerAsync(string name, IReadOnlyList<string> configuration, CancellationToken cancellationToken) =>
        SluiceServerProcess.StartAsync(SluiceDll, configuration, ServerLog(name), ReadyTimeout, cancellationToken);

    public int GetInt(string key, int fallback) =>
        !Settings.TryGetValue(key, out string? v) ? fallback
        : int.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out int i) ? i
        : throw new BenchConfigurationException($"--set {key}={v}: not a whole number");

    public double GetDouble(string key, double fallback) =>
        !Settings.TryGetValue(key, out string? v) ? fallback
        : double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) ? d
        : throw new BenchConfigurationException($"--set {key}={v}: not a number");

    public string GetString(string key, string fallback) => Settings.TryGetValue(key, out string? v) ? v : fallback;
}
