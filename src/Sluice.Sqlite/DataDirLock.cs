namespace Sluice.Sqlite;

/// <summary>
/// An exclusive lock on the data folder, held for the store's life. SQLite itself lets any number of processes
/// share the file, but the embedded server is not built for that: every process recovers the jobs the file holds as
/// unfinished at its start, so a second server on the same folder ran the first one's queued and running jobs again,
/// and each queued only what it accepted itself. The lock is an advisory <c>flock</c> on <c>sluice.lock</c> (what
/// .NET takes for <see cref="FileShare.None"/> on Unix; a share lock on Windows), which the kernel drops when the
/// process dies, so a server killed with SIGKILL never leaves a stale lock behind.
/// </summary>
internal sealed class DataDirLock : IDisposable
{
    public const string FileName = "sluice.lock";

    private readonly FileStream _file;

    private DataDirLock(FileStream file) => _file = file;

    /// <summary>Takes the lock; throws <see cref="InvalidOperationException"/> naming the folder when another process holds it.</summary>
    public static DataDirLock Acquire(string dataDir)
    {
        var path = Path.Combine(Path.GetFullPath(dataDir), FileName);
        try
        {
            return new DataDirLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException ex) when (IsHeldByAnother(ex))
        {
            throw new InvalidOperationException(
                $"the data directory {Path.GetFullPath(dataDir)} is in use by another Sluice server ({path} is locked); stop that server or give this one its own --data-dir",
                ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A read-only mount (EROFS) or a folder this user may not write: not another server's doing.
            throw new InvalidOperationException($"cannot write the data directory {Path.GetFullPath(dataDir)} ({path}): {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The lock is taken: a sharing violation on Windows, EWOULDBLOCK from <c>flock</c> on Unix (11 on Linux, 35 on
    /// macOS and the BSDs), which .NET passes on as the exception's HResult.
    /// </summary>
    private static bool IsHeldByAnother(IOException ex) => OperatingSystem.IsWindows()
        ? (ex.HResult & 0xFFFF) == 32
        : ex.HResult == (OperatingSystem.IsLinux() ? 11 : 35);

    public void Dispose() => _file.Dispose();
}
