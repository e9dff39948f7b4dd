using System.ComponentModel.DataAnnotations;
using Sluice.Core.Paths;

namespace Sluice.Classification;

/// <summary>Configuration of the text classifier and its training jobs (section <c>Sluice:Classification</c>).</summary>
internal sealed record ClassificationOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Classification";

    /// <summary>Name of the served classifier, and the only <c>target</c> a training job may name.</summary>
    [RegularExpression("^[a-z0-9][a-z0-9._-]{0,63}$")]
    public string ModelName { get; init; } = "text-classifier";

    /// <summary>
    /// Folder of the classifier file (<c>{ModelName}.clf</c>): training writes it there, the served model loads it from
    /// there; unset: <c>classifier</c> under the server's data folder (<c>Sluice:Storage:DataDir</c>, <c>--data-dir</c>).
    /// </summary>
    public string? ModelDir { get; init; }

    /// <summary>
    /// Serve the committed default classifier (UCI sentiment, embedded in the build) while <see cref="ModelDir"/> has no
    /// classifier file; false: the classifier is untrained (each job fails saying so) until a training writes one.
    /// </summary>
    public bool UseCommittedModel { get; init; } = true;

    /// <summary>
    /// Folders a training job's <c>data_path</c> must lie under; unset: the shared sentiment data (when present) and
    /// <c>training</c> under the server's data folder.
    /// </summary>
    public string[]? TrainingRoots { get; init; }

    /// <summary>
    /// The server's data folder (<c>Sluice:Storage:DataDir</c>, set by <see cref="ResolvedFor"/>; not bound from this
    /// section), which the unset folders above follow, as the SQLite store does.
    /// </summary>
    internal string DataDir { get; init; } = "data";

    /// <summary>How often (at most) a batch checks the classifier file for a new version, in milliseconds; 0 every batch.</summary>
    [Range(0, 3_600_000)]
    public int ReloadCheckMs { get; init; } = 2000;

    /// <summary>Longest text accepted, in characters; longer inputs are refused with a 4xx.</summary>
    [Range(1, 1_000_000)]
    public int MaxTextChars { get; init; } = 20_000;

    /// <summary>Seed of the held-out split and the shuffles of training (the same data and epochs give the same model).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Dynamic-batcher defaults of the classifier (configuration <c>Sluice:Models:{ModelName}</c> overrides them).</summary>
    [Range(1, 4096)]
    public int MaxBatchSize { get; init; } = 32;

    [Range(0d, 60_000d)]
    public double MaxQueueDelayMs { get; init; } = 5;

    /// <summary>The classifier file's full path.</summary>
    public string ArtifactPath => Path.GetFullPath(Path.Combine(ModelDir ?? Path.Combine(DataDir, "classifier"), ModelName + Model.ClassifierFile.Extension));

    /// <summary>These options with the server's data folder (<c>Sluice:Storage:DataDir</c>; null leaves the default).</summary>
    public ClassificationOptions ResolvedFor(string? dataDir) =>
        string.IsNullOrWhiteSpace(dataDir) ? this : this with { DataDir = dataDir };

    /// <summary>The training roots in force, as full paths.</summary>
    public IReadOnlyList<string> EffectiveTrainingRoots()
    {
        var roots = new List<string>();
        if (TrainingRoots is { Length: > 0 })
        {
            foreach (var r in TrainingRoots)
            {
                roots.Add(Path.GetFullPath(r));
            }

            return roots;
        }

        if (SharedData.TryGetPath(Path.Combine("data", "sentiment")) is { } shared)
        {
            roots.Add(Path.GetFullPath(shared));
        }

        roots.Add(Path.GetFullPath(Path.Combine(DataDir, "training")));
        return roots;
    }
}
