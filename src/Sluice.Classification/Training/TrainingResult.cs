using Sluice.Classification.Model;

namespace Sluice.Classification.Training;

/// <summary>A trained classifier and how it did.</summary>
internal sealed record TrainingResult(ClassifierWeights Model, int TrainExamples, int TestExamples, double Loss, double Accuracy, int Epochs);
