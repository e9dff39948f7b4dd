using Sluice.Engine.Inference;
using Sluice.Engine.Loading;

namespace Sluice.Engine.Tests.Inference;

public sealed class KvCachePoolTests
{
    private static readonly ModelConfig s_config = new() { Dim = 64, HiddenDim = 96, Layers = 2, Heads = 4, KvHeads = 2, VocabSize = 512, SeqLen = 64 };

    [Fact]
    public void TryCreate_BudgetExhausted_ReturnsNullUntilASequenceIsDisposed()
    {
        // 10 blocks of 8 positions.
        var pool = new KvCachePool(s_config, 8, 10L * s_config.Layers * 2 * 8 * s_config.KvDim * sizeof(float));
        var a = KvSequence.TryCreate(pool, 40)!; // 5 blocks
        var b = KvSequence.TryCreate(pool, 33)!; // 5 blocks

        Assert.Equal(10, pool.TotalBlocks);
        Assert.Null(KvSequence.TryCreate(pool, 1));
        a.Dispose();
        var c = KvSequence.TryCreate(pool, 1);
        Assert.NotNull(c);
        Assert.Equal(6, pool.ReservedBlocks);
        b.Dispose();
        c!.Dispose();
        Assert.Equal(0, pool.ReservedBlocks);
    }

    [Fact]
    public void EnsurePosition_AllocatesOnDemandAndRecyclesBlocks()
    {
        var pool = new KvCachePool(s_config, 8, 1L << 20);
        var a = KvSequence.TryCreate(pool, 64)!;

        a.EnsurePosition(0);
        Assert.Single(a.Blocks);
        a.EnsurePosition(17);
        Assert.Equal(3, a.Blocks.Count);
        Assert.Equal(3, pool.AllocatedBlocks);
        a.Dispose();

        var b = KvSequence.TryCreate(pool, 64)!;
        b.EnsurePosition(23);
        Assert.Equal(3, pool.AllocatedBlocks); // reused from the free list, nothing new allocated
        Assert.Throws<InvalidOperationException>(() => b.EnsurePosition(64));
        b.Dispose();
        b.Dispose(); // idempotent
        Assert.Equal(0, pool.ReservedBlocks);
    }
}
