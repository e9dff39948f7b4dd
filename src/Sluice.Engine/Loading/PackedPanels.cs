using System.Runtime.InteropServices;

namespace Sluice.Engine.Loading;

/// <summary>
/// The memory holding a model's packed weight panels (<see cref="WeightPacker"/>): huge pages when asked for and
/// offered (<see cref="HugePageMemory"/>), else ordinary 64-byte-aligned native memory.
/// </summary>
internal sealed unsafe class PackedPanels : IDisposable
{
    private readonly HugePageMemory? _huge;
    private float* _pointer;

    private PackedPanels(float* pointer, HugePageMemory? huge)
    {
        _pointer = pointer;
        _huge = huge;
    }

    /// <summary>First float.</summary>
    public float* Pointer => _pointer != null ? _pointer : throw new ObjectDisposedException(nameof(PackedPanels));

    /// <summary>Whether the panels live on huge pages.</summary>
    public bool OnHugePages => _huge is not null;

    /// <summary>Allocates <paramref name="floats"/> floats, on huge pages when <paramref name="hugePages"/> and the OS offers them.</summary>
    public static PackedPanels Allocate(long floats, bool hugePages)
    {
        var bytes = floats * sizeof(float);
        if (hugePages && HugePageMemory.TryAllocate(bytes, out var huge))
        {
            return new PackedPanels((float*)huge!.Pointer, huge);
        }

        return new PackedPanels((float*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64), null);
    }

    public void Dispose()
    {
        if (_pointer == null)
        {
            return;
        }

        if (_huge is not null)
        {
            _huge.Dispose();
        }
        else
        {
            NativeMemory.AlignedFree(_pointer);
        }

        _pointer = null;
    }
}
