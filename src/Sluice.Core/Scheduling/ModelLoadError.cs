using System.Text.RegularExpressions;

namespace Sluice.Core.Scheduling;

/// <summary>
/// A model's load failure as API clients see it (<c>GET /v1/models</c>, the 503 of a submit to it): the exception's
/// type and message with every absolute path cut to its file name. The server log keeps the full path for the
/// operator; a client learns which file is at fault, not how the server's disks are laid out.
/// </summary>
internal static partial class ModelLoadError
{
    public static string Describe(Exception exception) => exception.GetType().Name + ": " + WithoutFolders(exception.Message);

    /// <summary><paramref name="text"/> with the folders of its absolute paths (Unix and Windows) removed.</summary>
    public static string WithoutFolders(string text) => Folders().Replace(text, "");

    // A '/' that starts a path (not one inside a URL, a word or a relative path), or a drive letter's "X:\", then
    // each folder up to the last separator; the file name after it stays. A quoted path (settings are quoted, '…')
    // may have spaces in its folders; elsewhere a space ends the path.
    [GeneratedRegex(@"(?<=')(?:/|[A-Za-z]:\\)(?:[^/\\'\r\n]+[/\\])+|(?<![\w:/\\.~-])(?:/|[A-Za-z]:\\)(?:[^/\\\s'""`]+[/\\])+", RegexOptions.CultureInvariant)]
    private static partial Regex Folders();
}
