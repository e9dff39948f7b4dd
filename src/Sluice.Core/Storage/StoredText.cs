namespace Sluice.Core.Storage;

/// <summary>
/// Free text a store keeps as it is (a job's error), which can carry a NUL from outside (an upstream's answer quoted in
/// an error message). PostgreSQL's <c>text</c> refuses a NUL (22021): written as it is, a job's outcome could never be
/// stored and the job would stay running. Every store writes it as U+FFFD, so both read back the same. JSON columns
/// need nothing: JSON writes a NUL escaped.
/// </summary>
public static class StoredText
{
    /// <summary><paramref name="text"/> with every NUL as U+FFFD (the same string when it has none).</summary>
    public static string? WithoutNul(string? text) => text?.Replace('\0', '\uFFFD');
}
