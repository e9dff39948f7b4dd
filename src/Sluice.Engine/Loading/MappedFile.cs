using System.IO.MemoryMappedFiles;

namespace Sluice.Engine.Loading;

/// <summary>
/// A read-only memory-mapped file. Weights point straight into the mapping (llama2.c's <c>mmap</c>), so loading
/// copies nothing and the OS pages weights in on first use and shares them between processes. Opened with huge
/// pages, the file is instead copied once into <see cref="HugePageMemory"/> and the mapping dropped (see there for
/// why); where huge pages are unavailable it stays mapped.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;
    private HugePageMemory? _copy;
    private byte* _pointer;

    private MappedFile(string path, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view, HugePageMemory? copy, byte* pointer)
    {
        Path = path;
        Length = length;
        _map = map;
        _view = view;
        _copy = copy;
        _pointer = pointer;
    }

    /// <summary>Whether the bytes live in a huge-page copy rather than the mapping.</summary>
    public bool OnHugePages => _copy is not null;

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>File size in bytes.</summary>
    public long Length { get; }

    /// <summary>First byte of the mapping.</summary>
    public byte* Pointer => _pointer != null ? _pointer : throw new ObjectDisposedException(Path);

    /// <summary>Maps <paramref name="path"/>; with <paramref name="hugePages"/>, copies it into huge pages when the OS offers them.</summary>
    public static MappedFile Open(string path, bool hugePages = false)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException(Directory.Exists(full) ? $"{full} is a directory, not a model file" : $"model file not found: {full}", full);
        }

        var length = FileTarget.Resolve(full).Length;
        if (length == 0)
        {
            throw new ModelFormatException(full, 0, "the file is empty");
        }

        var map = MemoryMappedFile.CreateFromFile(full, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        pointer += view.PointerOffset;
        var file = new MappedFile(full, length, map, view, null, pointer);
        if (hugePages)
        {
            file.MoveToHugePages();
        }

        return file;
    }

    /// <summary>
    /// Copies the file into huge pages when the OS offers them and drops the mapping; a no-op when unavailable or
    /// already done. Pointers taken from <see cref="Pointer"/> before the move are invalid after it.
    /// </summary>
    public void MoveToHugePages()
    {
        if (_copy is not null || !HugePageMemory.TryCopy(Pointer, Length, out var copy))
        {
            return;
        }

        _view!.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map!.Dispose();
        _view = null;
        _map = null;
        _copy = copy;
        _pointer = copy!.Pointer;
    }

    /// <summary>A span over <paramref name="length"/> bytes at <paramref name="offset"/>, checked against the file size.</summary>
    public ReadOnlySpan<byte> Bytes(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
        {
            throw new ModelFormatException(Path, offset, $"expected {length} more bytes but the file ends at {Length} (truncated?)");
        }

        return new ReadOnlySpan<byte>(Pointer + offset, length);
    }

    public void Dispose()
    {
        if (_pointer == null)
        {
            return;
        }

        _pointer = null;
        if (_copy is not null)
        {
            _copy.Dispose();
            return;
        }

        _view!.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map!.Dispose();
    }
}
