namespace Sluice.Classification.Training;

/// <summary>Training data that is missing, unreadable or malformed; the message names the file (and line) at fault.</summary>
internal sealed class TrainingDataException(string message, Exception? inner = null) : Exception(message, inner);
