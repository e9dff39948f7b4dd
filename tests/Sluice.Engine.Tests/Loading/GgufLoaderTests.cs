using System.Buffers.Binary;
using Sluice.Engine.Cli;
using Sluice.Engine.Inference;
using Sluice.Engine.Loading;
using Sluice.Testing;

namespace Sluice.Engine.Tests.Loading;

public sealed class GgufLoaderTests
{
    [SharedDataFact(TestModels.Gguf, TestModels.Bin, TestModels.Tokenizer)]
    public void Load_V1Gguf_SameConfigAndVocabularyAsBin()
    {
        using var gguf = TestModels.LoadGguf();
        using var bin = TestModels.LoadBin();

        Assert.StartsWith("gguf v1", gguf.Format);
        Assert.Equal(bin.Config with { SharedClassifier = false, NormEps = gguf.Config.NormEps }, gguf.Config);
        Assert.Equal(bin.Tokenizer.VocabSize, gguf.Tokenizer.VocabSize);
        for (var i = 3; i < bin.Tokenizer.VocabSize; i++)
        {
            Assert.True(bin.Tokenizer.Piece(i).SequenceEqual(gguf.Tokenizer.Piece(i)), $"token {i}");
            Assert.Equal(bin.Tokenizer.Score(i), gguf.Tokenizer.Score(i));
        }
    }

    [SharedDataTheory(TestModels.Bin, TestModels.Tokenizer, TestModels.Golden)]
    [InlineData(2u)]
    [InlineData(3u)]
    public void ConvertToGguf_F32V2AndV3_SameGreedyTokensAsBin(uint version)
    {
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File($"stories260k-v{version}.gguf");
        using (var bin = TestModels.LoadBin())
        {
            ModelSynthesizer.ConvertToGguf(bin, path, TensorType.F32, version);
        }

        using var gguf = ModelLoader.Load(path);
        var runner = new GenerateRunner(gguf, 2);

        Assert.StartsWith($"gguf v{version}", gguf.Format);
        foreach (var golden in TestModels.ReadGolden())
        {
            Assert.Equal(golden.Tokens, runner.Run(golden.Prompt, 0f, 0.9f, golden.Steps, 1, true, new StringWriter(), new StringWriter()));
        }
    }

    [SharedDataTheory(TestModels.Bin, TestModels.Tokenizer)]
    [InlineData("F16")]
    [InlineData("Q8_0")]
    public void ConvertToGguf_QuantizedWeights_LogitsCloseToF32(string typeName)
    {
        var type = Enum.Parse<TensorType>(typeName);
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File($"stories260k-{type}.gguf");
        using var bin = TestModels.LoadBin();
        ModelSynthesizer.ConvertToGguf(bin, path, type, 3);
        using var quantized = ModelLoader.Load(path);

        var expected = FirstLogits(bin);
        var actual = FirstLogits(quantized);

        Assert.Contains(type.ToString().ToLowerInvariant(), quantized.Format);
        Assert.True(quantized.FileBytes < new FileInfo(bin.Path).Length, "quantized file should be smaller");
        Assert.Equal(Sluice.Engine.Sampling.Sampler.Argmax(expected), Sluice.Engine.Sampling.Sampler.Argmax(actual));
        Assert.True(System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(expected, actual) > 0.999f);
    }

    [SharedDataFact(TestModels.Gguf)]
    public void Load_TruncatedInTensorData_ThrowsNamingTensorAndOffset()
    {
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File("truncated.gguf");
        var bytes = File.ReadAllBytes(SharedDataFactAttribute.RequirePath(TestModels.Gguf));
        File.WriteAllBytes(path, bytes[..(bytes.Length - 1000)]);

        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains("truncated", ex.Message);
        Assert.Contains("output.weight", ex.Message);
    }

    [SharedDataFact(TestModels.Gguf)]
    public void Load_TruncatedInMetadata_ThrowsWithOffset()
    {
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File("cut.gguf");
        var bytes = File.ReadAllBytes(SharedDataFactAttribute.RequirePath(TestModels.Gguf));
        File.WriteAllBytes(path, bytes[..3000]);

        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path));

        Assert.Contains("truncated", ex.Message);
        Assert.InRange(ex.Offset, 8, 3000);
    }

    [SharedDataFact(TestModels.Gguf)]
    public void Load_UnsupportedVersion_ThrowsNamingVersion()
    {
        var ex = LoadPatched(bytes => BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 4));

        Assert.Equal(4, ex.Offset);
        Assert.Contains("unsupported GGUF version 4", ex.Message);
    }

    [SharedDataFact(TestModels.Gguf)]
    public void Load_UnsupportedTensorType_ThrowsNamingTypeAndTensor()
    {
        var ex = LoadPatched(bytes =>
        {
            // The first tensor record: name "token_embd.weight", 2 dims, then the type (uint32).
            var at = IndexOf(bytes, "token_embd.weight"u8) + "token_embd.weight".Length + 4 + 2 * 4;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), 2); // Q4_0
        });

        Assert.Contains("token_embd.weight", ex.Message);
        Assert.Contains("unsupported GGML type 2", ex.Message);
    }

    [SharedDataFact(TestModels.Gguf)]
    public void Load_CorruptStringLength_ThrowsInsteadOfAllocating()
    {
        var ex = LoadPatched(bytes =>
        {
            var at = IndexOf(bytes, "general.architecture"u8) - 4; // v1: uint32 key length before the key
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), 0x7FFFFFF0);
        });

        Assert.Contains("runs past the end", ex.Message);
    }

    [SharedDataFact(TestModels.Gguf)]
    public void Load_TensorOffsetNearLongMax_ThrowsNamingTensorInsteadOfReadingOutsideTheFile()
    {
        var ex = LoadPatched(bytes =>
        {
            // The first tensor record (v1): name, uint32 dimension count, 2 uint32 dimensions, uint32 type, then
            // the uint64 data offset. Added to the data section's start it wrapped negative and passed the size check.
            var at = IndexOf(bytes, "token_embd.weight"u8) + "token_embd.weight".Length + 4 + 2 * 4 + 4;
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at), long.MaxValue - 100);
        });

        Assert.Contains("tensor token_embd.weight", ex.Message);
        Assert.Contains($"data offset {long.MaxValue - 100} ", ex.Message);
        Assert.Contains("lies past the end of the file", ex.Message);
        Assert.InRange(ex.Offset, 0, 1 << 20);
    }

    [SharedDataFact(TestModels.Gguf)]
    public void Load_BadMagic_ThrowsExpectedGguf()
    {
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File("bad.gguf");
        var bytes = File.ReadAllBytes(SharedDataFactAttribute.RequirePath(TestModels.Gguf));
        bytes[0] = (byte)'X';
        File.WriteAllBytes(path, bytes);

        // Read as a llama2.c checkpoint instead, the error spoke of an invalid Config header with "dim 1482184792".
        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains("GGUF magic", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("llama2.c", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EmptyGguf_ThrowsExpectedGgufMagic()
    {
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File("download-failed.gguf");
        File.WriteAllBytes(path, []);

        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains("GGUF magic", ex.Message, StringComparison.Ordinal);
    }

    internal static float[] FirstLogits(LoadedModel model)
    {
        var t = new Transformer(model.Config, model.Weights);
        var pool = new KvCachePool(model.Config, 16, 1 << 20);
        using var cache = KvSequence.TryCreate(pool, 16)!;
        var s = new BatchState(model.Config, 1);
        s.Tokens[0] = 1;
        s.Positions[0] = 0;
        s.Caches[0] = cache;
        s.LogitIndex[0] = 0;
        t.Forward(s, 1);
        return s.LogitsRow(0).ToArray();
    }

    private static ModelFormatException LoadPatched(Action<byte[]> patch)
    {
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File("patched.gguf");
        var bytes = File.ReadAllBytes(SharedDataFactAttribute.RequirePath(TestModels.Gguf));
        patch(bytes);
        File.WriteAllBytes(path, bytes);
        return Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path));
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);
}
