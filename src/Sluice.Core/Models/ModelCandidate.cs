namespace Sluice.Core.Models;

/// <summary>
/// A model a source has found but not loaded yet; the registry shows it as <c>loading</c> while
/// <see cref="LoadAsync"/> runs, then warms it up.
/// </summary>
public sealed record ModelCandidate
{
    /// <summary>Name clients will use.</summary>
    public required string Name { get; init; }

    /// <summary>Batch or generative.</summary>
    public required ModelKind Kind { get; init; }

    /// <summary>Version as far as known before loading (file hash, training date …).</summary>
    public string Version { get; init; } = "1";

    /// <summary>Scheduler defaults of this model; configuration <c>Sluice:Models:{name}</c> overrides them.</summary>
    public SchedulerSettings Defaults { get; init; } = new();

    /// <summary>Loads the model (may take seconds; runs on a background thread).</summary>
    public required Func<CancellationToken, ValueTask<IModel>> LoadAsync { get; init; }
}
