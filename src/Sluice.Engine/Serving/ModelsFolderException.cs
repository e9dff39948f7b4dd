namespace Sluice.Engine.Serving;

/// <summary>
/// A models folder exists but cannot be listed (no permission, an I/O error). Its message names the setting and the
/// folder and says what to do, so the server's start failure is one line an operator can act on.
/// </summary>
internal sealed class ModelsFolderException(string message, Exception inner) : IOException(message, inner);
