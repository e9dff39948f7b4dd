using Sluice.Core.Models;

namespace Sluice.Engine.Loading;

/// <summary>
/// A model or tokenizer file that is truncated, corrupt or unsupported. The message names the file, the byte
/// offset and what was expected there, so a user can tell a bad download from a wrong format.
/// </summary>
internal sealed class ModelFormatException : ModelFileException
{
    public ModelFormatException(string path, long offset, string problem)
        : base($"{path}: at offset {offset}: {problem}")
    {
        FilePath = path;
        Offset = offset;
        Problem = problem;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>Byte offset where the problem was found.</summary>
    public long Offset { get; }

    /// <summary>What was expected there.</summary>
    public string Problem { get; }
}
