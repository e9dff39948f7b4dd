namespace Sluice.Core.Models;

/// <summary>
/// A file a model needs that cannot be used: missing where its setting points, or not loadable because of what is in
/// it (truncated, corrupt, an unsupported format), with a message that says so in full (the file, and the setting to
/// change where there is one). The server logs it as the bad file it is, without the stack trace of an unexpected
/// failure.
/// </summary>
public abstract class ModelFileException : Exception
{
    protected ModelFileException(string message)
        : base(message)
    {
    }

    protected ModelFileException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
