using System.Runtime.InteropServices;

namespace Sluice.Engine.Loading;

/// <summary>
/// Memory backed by 2 MiB transparent huge pages (Linux, <c>madvise</c>): a private copy of a model file, or the
/// packed weight panels (<see cref="WeightPacker"/>).
/// Every decode step streams all the weights, tens to hundreds of MB, through the TLB: with 4 KiB pages each step
/// misses the TLB on every page, and in a virtual machine each miss is a two-level (nested) page walk. At batch 16
/// on the 15M shape the kernel stalled on its prefetches for a fifth of its time; with huge pages the stall went and
/// the step got about 20 % faster. The price is a copy (the model's size in private memory, not shared with other
/// processes through the page cache), so it is optional. .NET has no API for huge pages; a runtime with one
/// (e.g. <c>MemoryMappedFile</c> over hugetlbfs) would replace this class.
/// </summary>
internal sealed unsafe class HugePageMemory : IDisposable
{
    private const long HugePage = 2 * 1024 * 1024;
    private const int MadviseHugePage = 14; // MADV_HUGEPAGE
    private const string ThpSetting = "/sys/kernel/mm/transparent_hugepage/enabled";

    private byte* _pointer;

    private HugePageMemory(byte* pointer) => _pointer = pointer;

    /// <summary>First byte of the memory.</summary>
    public byte* Pointer => _pointer != null ? _pointer : throw new ObjectDisposedException(nameof(HugePageMemory));

    /// <summary>
    /// Whether the kernel hands out transparent huge pages on request: Linux with the setting at <c>always</c> or
    /// <c>madvise</c> (the selected value is the bracketed one).
    /// </summary>
    public static bool IsAvailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            var setting = File.ReadAllText(ThpSetting);
            return setting.Contains("[always]", StringComparison.Ordinal) || setting.Contains("[madvise]", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Copies <paramref name="length"/> bytes at <paramref name="source"/> into huge-page memory; false (and nothing allocated) when unavailable.</summary>
    public static bool TryCopy(byte* source, long length, out HugePageMemory? memory)
    {
        if (!TryAllocate(length, out memory))
        {
            return false;
        }

        Buffer.MemoryCopy(source, memory!.Pointer, length, length);
        return true;
    }

    /// <summary>
    /// Allocates <paramref name="length"/> bytes (2 MiB aligned) backed by huge pages; false (and nothing
    /// allocated) when unavailable. The contents are undefined until written; the first write faults in whole
    /// huge pages.
    /// </summary>
    public static bool TryAllocate(long length, out HugePageMemory? memory)
    {
        memory = null;
        if (length <= 0 || !IsAvailable())
        {
            return false;
        }

        var size = (length + HugePage - 1) / HugePage * HugePage;
        var pointer = (byte*)NativeMemory.AlignedAlloc((nuint)size, (nuint)HugePage);

        // Advised before the first touch, so the first write faults in whole huge pages.
        if (Madvise(pointer, (nuint)size, MadviseHugePage) != 0)
        {
            NativeMemory.AlignedFree(pointer);
            return false;
        }

        memory = new HugePageMemory(pointer);
        return true;
    }

    public void Dispose()
    {
        if (_pointer != null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(void* address, nuint length, int advice);
}
