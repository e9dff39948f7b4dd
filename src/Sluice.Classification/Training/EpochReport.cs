namespace Sluice.Classification.Training;

/// <summary>One finished epoch: mean training loss (cross-entropy) and accuracy on the held-out examples.</summary>
internal readonly record struct EpochReport(int Epoch, int Epochs, double Loss, double Accuracy);
