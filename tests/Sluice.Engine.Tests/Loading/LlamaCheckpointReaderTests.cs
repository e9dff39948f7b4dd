using Sluice.Engine.Loading;
using Sluice.Testing;

namespace Sluice.Engine.Tests.Loading;

public sealed class LlamaCheckpointReaderTests
{
    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Load_Stories260K_ConfigMatchesReadme()
    {
        using var model = TestModels.LoadBin();

        var c = model.Config;
        Assert.Equal((64, 172, 5, 8, 4, 512, 512), (c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.VocabSize, c.SeqLen));
        Assert.True(c.SharedClassifier);
        Assert.Equal(model.Weights.TokenEmbedding.Address, model.Weights.Classifier.Address);
        Assert.Equal(32, c.KvDim);
        Assert.Equal(512, model.Tokenizer.VocabSize);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Load_TruncatedCheckpoint_ThrowsNamingFileAndSize()
    {
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File("truncated.bin");
        var bytes = File.ReadAllBytes(SharedDataFactAttribute.RequirePath(TestModels.Bin));
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path, SharedDataFactAttribute.RequirePath(TestModels.Tokenizer)));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains("truncated", ex.Message);
        Assert.Contains(bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Load_CorruptHeader_ThrowsDescribingTheHeader()
    {
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File("corrupt.bin");
        var bytes = File.ReadAllBytes(SharedDataFactAttribute.RequirePath(TestModels.Bin));
        BitConverter.GetBytes(7).CopyTo(bytes, 12); // n_heads = 7 does not divide dim 64
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path, SharedDataFactAttribute.RequirePath(TestModels.Tokenizer)));

        Assert.Equal(0, ex.Offset);
        Assert.Contains("not a multiple of heads 7", ex.Message);
    }

    [SharedDataFact(TestModels.Bin, "models/tokenizer32k.bin")]
    public void Load_TokenizerOfOtherVocabulary_ThrowsNamingBothSizes()
    {
        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(SharedDataFactAttribute.RequirePath(TestModels.Bin), SharedDataFactAttribute.RequirePath("models/tokenizer32k.bin")));

        Assert.Contains("32000 tokens", ex.Message);
        Assert.Contains("vocab_size 512", ex.Message);
    }

    [Fact]
    public void Load_EmptyFile_ThrowsClearError()
    {
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File("empty.bin");
        File.WriteAllBytes(path, []);

        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path, path));

        Assert.Contains("empty", ex.Message);
    }

    [SharedDataFact(TestModels.Tokenizer)]
    public void Load_TokenizerPassedAsModel_ThrowsInvalidHeader()
    {
        var tok = SharedDataFactAttribute.RequirePath(TestModels.Tokenizer);

        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(tok, tok));

        Assert.Contains("llama2.c", ex.Message);
    }
}
