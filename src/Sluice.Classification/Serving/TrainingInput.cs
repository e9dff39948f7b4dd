namespace Sluice.Classification.Serving;

/// <summary>A parsed training job input (the seed's field names); <see cref="DataPath"/> is a full path under a training root.</summary>
internal sealed record TrainingInput(string ModelType, string DataPath, int Epochs, string Target, string? TaskId);
