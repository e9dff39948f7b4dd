namespace Sluice.Classification.Tests.Serving;

/// <summary>
/// A training root with real symbolic links: <c>link.txt</c> to a file outside it, <c>dir-link</c> to a folder outside
/// it (holding <c>secret.txt</c>, with <c>secret.txt</c> beside that folder too), <c>inside-link.txt</c> to
/// <c>data.txt</c> in the root.
/// </summary>
internal sealed class LinkedFolders : IDisposable
{
    private readonly string _base = Directory.CreateTempSubdirectory("sluice-links-").FullName;

    public LinkedFolders()
    {
        Directory.CreateDirectory(Root);
        var outside = Path.Combine(_base, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "secret\t1\nhidden\t0\n");
        File.WriteAllText(Path.Combine(_base, "secret.txt"), "secret\t1\nhidden\t0\n");
        File.WriteAllText(Path.Combine(Root, "data.txt"), "good\t1\nbad\t0\n");
        File.CreateSymbolicLink(Path.Combine(Root, "link.txt"), Path.Combine(outside, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "dir-link"), outside);
        File.CreateSymbolicLink(Path.Combine(Root, "inside-link.txt"), "data.txt");
    }

    /// <summary>The training root.</summary>
    public string Root => Path.Combine(_base, "root");

    public void Dispose() => Directory.Delete(_base, recursive: true);
}
