namespace Sluice.Engine.Inference;

/// <summary>
/// One sequence's block table: block i holds positions [i * block_size, (i + 1) * block_size). Blocks are taken
/// from the pool as positions are written and all go back on <see cref="Dispose"/>.
/// </summary>
internal sealed class KvSequence : IDisposable
{
    private readonly KvCachePool _pool;
    private readonly List<float[]> _blocks = [];
    private readonly int _reservation;
    private int _disposed;

    private KvSequence(KvCachePool pool, int reservation)
    {
        _pool = pool;
        _reservation = reservation;
    }

    /// <summary>Block table; each block is (layer, key|value, block_size, kv_dim) floats.</summary>
    public List<float[]> Blocks => _blocks;

    /// <summary>The last forward pass that had a row of this sequence (set and read by <see cref="Transformer.Forward"/>).</summary>
    internal long ForwardStamp;

    /// <summary>Positions per block.</summary>
    public int BlockSize => _pool.BlockSize;

    /// <summary>Positions the reservation covers.</summary>
    public int Capacity => _reservation * _pool.BlockSize;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Admits a sequence that will use at most <paramref name="positions"/> positions; null when the budget is exhausted.</summary>
    public static KvSequence? TryCreate(KvCachePool pool, int positions)
    {
        var blocks = pool.BlocksFor(positions);
        return pool.TryReserve(blocks) ? new KvSequence(pool, blocks) : null;
    }

    /// <summary>Makes sure position <paramref name="position"/> has a block.</summary>
    public void EnsurePosition(int position)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var needed = position / _pool.BlockSize + 1;
        if (needed > _reservation)
        {
            throw new InvalidOperationException($"position {position} is beyond the {Capacity} positions reserved for this sequence");
        }

        while (_blocks.Count < needed)
        {
            _blocks.Add(_pool.RentBlock());
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _pool.Release(_blocks, _reservation);
            _blocks.Clear();
        }
    }
}
