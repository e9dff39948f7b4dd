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

    [Theory]
    [InlineData("tokenizer.ggml.bos_token_id", "one")]
    [InlineData("llama.attention.layer_norm_rms_epsilon", "tiny")]
    [InlineData("llama.rope.freq_base", "high")]
    [InlineData("general.alignment", "x")]
    [InlineData("llama.context_length", "long")]
    public void Load_StringWhereANumberBelongs_ThrowsNamingKeyAndOffset(string key, string value)
    {
        // Convert.ToInt64/ToDouble threw a bare FormatException ("The input string 'one' was not in a correct format").
        var ex = LoadRaw(LlamaMetadata(key, Str(value)));

        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"\"{value}\" (a string)", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Offset > 16, $"offset {ex.Offset}");
    }

    [Theory]
    [InlineData("tokenizer.ggml.bos_token_id")]
    [InlineData("general.alignment")]
    [InlineData("llama.block_count")]
    public void Load_UInt64PastLongMax_ThrowsNamingKeyNotOverflow(string key)
    {
        // Convert.ToInt64 of such a UInt64 threw OverflowException, which the CLI printed with its stack trace.
        var ex = LoadRaw(LlamaMetadata(key, Entry(GgufValueType.UInt64, BitConverter.GetBytes(ulong.MaxValue - 1))));

        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
        Assert.Contains((ulong.MaxValue - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ScoresOfStrings_ThrowsNamingTheElement()
    {
        var ex = LoadRaw(LlamaMetadata("tokenizer.ggml.scores", StrArray("a", "b", "c", "d")));

        Assert.Contains("tokenizer.ggml.scores[0]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ArrayCountPastTheBytesItsElementsNeed_ThrowsBeforeAllocating()
    {
        // The count was compared with the remaining bytes, not with what its elements need: 60 UInt64 elements in 64
        // bytes passed, and an object array of the count was allocated before the read ran off the end.
        var payload = new byte[4 + 8 + 64];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, (uint)GgufValueType.UInt64);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(4), 60);
        var ex = LoadRaw([("general.architecture", Str("llama")), ("tokenizer.ggml.scores", Entry(GgufValueType.Array, payload))]);

        Assert.Contains("tokenizer.ggml.scores: array of 60 UInt64 elements needs at least 8 bytes each", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ArrayCountWithinTheFileButAbsurd_ThrowsNamingTheLimit()
    {
        // A count the file could hold as bytes, boxed one object per element: gigabytes for a large file.
        var count = GgufFile.MaxArrayElements + 1;
        var payload = new byte[4 + 8 + (int)count];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, (uint)GgufValueType.UInt8);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(4), count);

        var ex = LoadRaw([("junk", Entry(GgufValueType.Array, payload))]);

        Assert.Contains($"junk: array of {count} elements is more than this engine reads", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ArrayOfArrays_ThrowsNamingKeyBeforeAllocating()
    {
        var payload = new byte[4 + 8];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, (uint)GgufValueType.Array);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(4), 1);

        var ex = LoadRaw([("nested", Entry(GgufValueType.Array, payload))]);

        Assert.Contains("nested: arrays of arrays are not supported", ex.Message, StringComparison.Ordinal);
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

    /// <summary>Writes a GGUF v3 file of these metadata entries (no tensors) and loads it, expecting the format error.</summary>
    private static ModelFormatException LoadRaw(IReadOnlyList<(string Key, byte[] TypeAndValue)> entries)
    {
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File("raw.gguf");
        using (var w = new BinaryWriter(File.Create(path)))
        {
            w.Write(GgufFile.Magic);
            w.Write(3u);
            w.Write(0UL);
            w.Write((ulong)entries.Count);
            foreach (var (key, value) in entries)
            {
                w.Write(StringBytes(key));
                w.Write(value);
            }
        }

        return Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path));
    }

    /// <summary>A llama model's metadata, valid as far as the loader reads it, with <paramref name="key"/> replaced.</summary>
    private static List<(string, byte[])> LlamaMetadata(string key, byte[] value)
    {
        var entries = new List<(string Key, byte[] Value)>
        {
            ("general.architecture", Str("llama")),
            ("tokenizer.ggml.tokens", StrArray("<unk>", "<s>", "</s>", "a")),
            ("llama.attention.head_count", U32(2)),
            ("llama.embedding_length", U32(8)),
            ("llama.feed_forward_length", U32(16)),
            ("llama.block_count", U32(1)),
            ("llama.context_length", U32(32)),
        };
        entries.RemoveAll(e => e.Key == key);
        entries.Add((key, value));
        return entries;
    }

    private static byte[] Entry(GgufValueType type, byte[] value)
    {
        var bytes = new byte[4 + value.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)type);
        value.CopyTo(bytes, 4);
        return bytes;
    }

    private static byte[] Str(string text) => Entry(GgufValueType.String, StringBytes(text));

    private static byte[] U32(uint value) => Entry(GgufValueType.UInt32, BitConverter.GetBytes(value));

    private static byte[] StrArray(params string[] items)
    {
        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes((uint)GgufValueType.String));
        bytes.AddRange(BitConverter.GetBytes((ulong)items.Length));
        foreach (var item in items)
        {
            bytes.AddRange(StringBytes(item));
        }

        return Entry(GgufValueType.Array, [.. bytes]);
    }

    private static byte[] StringBytes(string text)
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(text);
        var bytes = new byte[8 + utf8.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)utf8.Length);
        utf8.CopyTo(bytes, 8);
        return bytes;
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);
}
