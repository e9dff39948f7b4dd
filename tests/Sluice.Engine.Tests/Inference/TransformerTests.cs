using Sluice.Engine.Inference;
using Sluice.Engine.Loading;
using Sluice.Testing;

namespace Sluice.Engine.Tests.Inference;

public sealed class TransformerTests
{
    /// <summary>Weights row-major or packed, on stories260K (grouped-query) or the synthetic multi-head model.</summary>
    public static TheoryData<bool, bool> Layouts => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    /// <summary>
    /// stories260K has grouped-query attention (8 query heads, 4 kv heads), which stores every row's keys before
    /// attention; the synthetic multi-head model takes the path where each (row, head) rotates and stores its own key
    /// in the attention region.
    /// </summary>
    [SharedDataTheory(TestModels.Bin, TestModels.Tokenizer)]
    [MemberData(nameof(Layouts))]
    public void Forward_SixteenSequencesInOneBatch_BitwiseSameLogitsAsAlone(bool packWeights, bool multiHead)
    {
        using var temp = TestModels.CreateTempDirectory();
        using var model = Load(temp, packWeights, multiHead);
        Assert.Equal(packWeights, model.Packed);
        Assert.Equal(multiHead, model.Config.KvMul == 1);
        var t = new Transformer(model.Config, model.Weights);
        var pool = new KvCachePool(model.Config, 16, 64L << 20);
        const int batch = 16;
        const int steps = 12;
        var alone = new float[batch][][];

        // Each sequence alone, one position per forward, on 1 thread.
        for (var b = 0; b < batch; b++)
        {
            using var cache = KvSequence.TryCreate(pool, steps)!;
            var s = new BatchState(model.Config, 1);
            alone[b] = new float[steps][];
            for (var pos = 0; pos < steps; pos++)
            {
                Set(s, 0, Token(b, pos), pos, cache, 0);
                t.Forward(s, 1);
                alone[b][pos] = s.LogitsRow(0).ToArray();
            }
        }

        // All together, each at its own position (sequence b starts b % 3 steps late), on 2 threads.
        var caches = new KvSequence[batch];
        for (var b = 0; b < batch; b++)
        {
            caches[b] = KvSequence.TryCreate(pool, steps)!;
        }

        var state = new BatchState(model.Config, 2);
        for (var step = 0; step < steps + 2; step++)
        {
            var rows = 0;
            var index = new int[batch];
            for (var b = 0; b < batch; b++)
            {
                var pos = step - b % 3;
                index[b] = -1;
                if (pos >= 0 && pos < steps)
                {
                    index[b] = rows;
                    state.EnsureCapacity(rows + 1, rows + 1);
                    Set(state, rows, Token(b, pos), pos, caches[b], rows);
                    rows++;
                }
            }

            t.Forward(state, rows);
            for (var b = 0; b < batch; b++)
            {
                if (index[b] >= 0)
                {
                    Assert.True(alone[b][step - b % 3].AsSpan().SequenceEqual(state.LogitsRow(index[b])), $"sequence {b} position {step - b % 3}");
                }
            }
        }

        foreach (var c in caches)
        {
            c.Dispose();
        }

        Assert.Equal(0, pool.ReservedBlocks);
    }

    /// <summary>
    /// With the multi-head model, one position per call takes the fused rotate-store-attend path and the prompt chunk
    /// (rows of one sequence) the separate one, so this also pins the two paths to the same arithmetic.
    /// </summary>
    [SharedDataTheory(TestModels.Bin, TestModels.Tokenizer)]
    [MemberData(nameof(Layouts))]
    public void Forward_PromptChunkInOneCall_SameLogitsAsOnePositionPerCall(bool packWeights, bool multiHead)
    {
        using var temp = TestModels.CreateTempDirectory();
        using var model = Load(temp, packWeights, multiHead);
        var t = new Transformer(model.Config, model.Weights);
        var pool = new KvCachePool(model.Config, 4, 16L << 20);
        var prompt = model.Tokenizer.Encode("The little dog ran to the park", true, false);

        using var a = KvSequence.TryCreate(pool, prompt.Count)!;
        var sa = new BatchState(model.Config, 1);
        for (var pos = 0; pos < prompt.Count; pos++)
        {
            Set(sa, 0, prompt[pos], pos, a, pos == prompt.Count - 1 ? 0 : -1);
            t.Forward(sa, 1);
        }

        using var b = KvSequence.TryCreate(pool, prompt.Count)!;
        var sb = new BatchState(model.Config, 2, prompt.Count);
        for (var pos = 0; pos < prompt.Count; pos++)
        {
            Set(sb, pos, prompt[pos], pos, b, pos == prompt.Count - 1 ? 0 : -1);
        }

        t.Forward(sb, prompt.Count);

        Assert.True(sa.LogitsRow(0).SequenceEqual(sb.LogitsRow(0)));
    }

    private static LoadedModel Load(TempFolder temp, bool packWeights, bool multiHead) =>
        multiHead ? TestModels.LoadSyntheticMultiHead(temp.Path, packWeights) : TestModels.LoadBin(packWeights);

    private static int Token(int sequence, int pos) => 1 + (sequence * 37 + pos * 11) % 500;

    private static void Set(BatchState s, int row, int token, int pos, KvSequence cache, int logitIndex)
    {
        s.Tokens[row] = token;
        s.Positions[row] = pos;
        s.Caches[row] = cache;
        s.LogitIndex[row] = logitIndex;
    }
}
