using Sluice.Core.Models;

namespace Sluice.Grading.Spelling;

/// <summary>Thrown when no word list is installed; the message says which package provides it.</summary>
internal sealed class DictionaryNotFoundException(string message) : ModelFileException(message);
