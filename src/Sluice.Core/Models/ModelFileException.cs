namespace Sluice.Core.Models;

/// <summary>
/// A model file that cannot be loaded because of what is in it (truncated, corrupt, an unsupported format), with a
/// message that says so in full. The server logs it as the bad file it is, without the stack trace of an unexpected
/// failure.
/// </summary>
public abstract class ModelFileException : Exception
{
    protected ModelFileException(string message)
        : base(message)
    {
    }
}
