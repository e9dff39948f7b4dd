using Sluice.Classification.Model;

namespace Sluice.Classification.Serving;

/// <summary>Weights in service and the write time and length of the file they came from (what a reload check compares).</summary>
internal sealed record LoadedClassifier(ClassifierWeights Weights, DateTime WriteTime, long Length);
