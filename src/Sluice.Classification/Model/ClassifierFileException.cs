namespace Sluice.Classification.Model;

/// <summary>A classifier file that cannot be read: the message names the file and what is wrong with it.</summary>
internal sealed class ClassifierFileException(string message, Exception? inner = null) : IOException(message, inner);
