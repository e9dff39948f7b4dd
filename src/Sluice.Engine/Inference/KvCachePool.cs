using Sluice.Engine.Loading;

namespace Sluice.Engine.Inference;

/// <summary>
/// The paged KV cache (as vLLM's block manager): fixed-size blocks of <see cref="BlockSize"/> positions, handed
/// out on demand and returned when a sequence ends, under a memory budget. A sequence reserves, when admitted,
/// the blocks it can ever need (prompt + max tokens, capped at the context), so an admitted sequence never runs
/// out mid-generation; admission fails (and the caller waits) while the budget is spoken for.
/// Blocks are allocated lazily and recycled through a free list, so memory grows only with real use.
/// </summary>
internal sealed class KvCachePool
{
    private readonly Stack<float[]> _free = new();
    private readonly Lock _lock = new();
    private int _reserved;
    private int _allocated;

    public KvCachePool(ModelConfig config, int blockSize, long budgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        Config = config;
        BlockSize = blockSize;
        BlockFloats = config.Layers * 2 * blockSize * config.KvDim;
        TotalBlocks = (int)Math.Min(int.MaxValue, budgetBytes / ((long)BlockFloats * sizeof(float)));
    }

    public ModelConfig Config { get; }

    /// <summary>Positions per block.</summary>
    public int BlockSize { get; }

    /// <summary>Floats per block: (layer, key|value, block_size, kv_dim).</summary>
    public int BlockFloats { get; }

    /// <summary>Blocks the budget allows.</summary>
    public int TotalBlocks { get; }

    /// <summary>Blocks promised to live sequences.</summary>
    public int ReservedBlocks
    {
        get
        {
            lock (_lock)
            {
                return _reserved;
            }
        }
    }

    /// <summary>Blocks ever allocated (in use or on the free list).</summary>
    public int AllocatedBlocks
    {
        get
        {
            lock (_lock)
            {
                return _allocated;
            }
        }
    }

    /// <summary>Blocks needed to hold <paramref name="positions"/> positions.</summary>
    public int BlocksFor(int positions) => (positions + BlockSize - 1) / BlockSize;

    /// <summary>Reserves <paramref name="blocks"/> blocks; false when the budget cannot cover them now.</summary>
    public bool TryReserve(int blocks)
    {
        lock (_lock)
        {
            if (_reserved + blocks > TotalBlocks)
            {
                return false;
            }

            _reserved += blocks;
            return true;
        }
    }

    /// <summary>Hands out a block within a reservation (a recycled one when available).</summary>
    public float[] RentBlock()
    {
        lock (_lock)
        {
            if (_free.TryPop(out var block))
            {
                return block;
            }

            _allocated++;
        }

        // Pinned so the attention kernels can take raw pointers without fixed blocks per position.
        return GC.AllocateUninitializedArray<float>(BlockFloats, pinned: true);
    }

    /// <summary>Returns blocks and the reservation they were taken from.</summary>
    public void Release(List<float[]> blocks, int reservation)
    {
        lock (_lock)
        {
            foreach (var block in blocks)
            {
                _free.Push(block);
            }

            _reserved -= reservation;
        }
    }
}
