namespace Sluice.Classification.Training;

/// <summary>How the classifier is trained; the same settings and data always give the same weights.</summary>
internal sealed record TrainingSettings
{
    public const int MaxEpochs = 200;

    public int Epochs { get; init; } = 10;

    /// <summary>Feature hash buckets are 2^Bits.</summary>
    public int Bits { get; init; } = 18;

    /// <summary>Seed of the held-out split and of each epoch's shuffle.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Share of the examples held out to measure accuracy (0 to 0.5).</summary>
    public double HoldOut { get; init; } = 0.2;

    public int BatchSize { get; init; } = 32;

    /// <summary>Adam's step size.</summary>
    public double LearningRate { get; init; } = 0.02;

    /// <summary>L2 penalty per step on the weights a batch touches.</summary>
    public double L2 { get; init; } = 1e-5;
}
