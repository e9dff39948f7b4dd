namespace Sluice.Engine.Loading;

/// <summary>Resolves model paths that are symbolic links (a common way to point a models folder at shared files).</summary>
internal static class FileTarget
{
    /// <summary>
    /// The file at <paramref name="path"/>, following symbolic links to the file they finally point at:
    /// <see cref="FileInfo.Length"/> of a link is the length of the link itself, not of the checkpoint.
    /// </summary>
    public static FileInfo Resolve(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
    }
}
