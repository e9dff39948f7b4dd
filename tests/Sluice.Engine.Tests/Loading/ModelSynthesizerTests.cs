using Sluice.Engine.Cli;
using Sluice.Engine.Loading;
using Sluice.Testing;

namespace Sluice.Engine.Tests.Loading;

public sealed class ModelSynthesizerTests
{
    /// <summary>A tiny unshared-classifier shape with grouped-query attention, for fast format tests.</summary>
    private static readonly ModelConfig s_tiny = new() { Dim = 64, HiddenDim = 96, Layers = 2, Heads = 4, KvHeads = 2, VocabSize = 512, SeqLen = 64 };

    [SharedDataFact(TestModels.Tokenizer)]
    public void WriteLlama2cAndGguf_SameSeed_SameGreedyTokens()
    {
        using var dir = TestModels.CreateTempDirectory();
        var tokenizer = SharedDataFactAttribute.RequirePath(TestModels.Tokenizer);
        ModelSynthesizer.WriteLlama2c(dir.File("tiny.bin"), s_tiny, 7);
        ModelSynthesizer.WriteGguf(dir.File("tiny.gguf"), s_tiny, TensorType.F32, Sluice.Engine.Tokenization.TokenizerReader.Load(tokenizer), 7);
        using var bin = ModelLoader.Load(dir.File("tiny.bin"), tokenizer);
        using var gguf = ModelLoader.Load(dir.File("tiny.gguf"));

        Assert.False(bin.Config.SharedClassifier);
        Assert.Equal(LlamaCheckpointReader.ExpectedFileBytes(bin.Config), new FileInfo(dir.File("tiny.bin")).Length);
        var fromBin = new GenerateRunner(bin, 1).Run("Once", 0f, 1f, 40, 1, true, new StringWriter(), new StringWriter());
        var fromGguf = new GenerateRunner(gguf, 1).Run("Once", 0f, 1f, 40, 1, true, new StringWriter(), new StringWriter());
        Assert.Equal(fromBin, fromGguf);
    }

    [Fact]
    public void WriteGguf_Q8_0WithoutTokenizer_LoadsWithPlaceholderVocabulary()
    {
        using var dir = TestModels.CreateTempDirectory();
        ModelSynthesizer.WriteGguf(dir.File("tiny-q8.gguf"), s_tiny, TensorType.Q8_0, null, 3);

        using var model = ModelLoader.Load(dir.File("tiny-q8.gguf"));
        var info = new StringWriter();
        ModelInfoPrinter.Print(model, info);

        Assert.Equal("gguf v3 (q8_0)", model.Format);
        Assert.Equal(s_tiny.ParameterCount, model.Config.ParameterCount);
        Assert.Contains("blk.1.ffn_down.weight", info.ToString());
        Assert.Contains("Q8_0", info.ToString());
        var lines = info.ToString().ReplaceLineEndings("\n").Split('\n');
        var header = lines[Array.FindIndex(lines, l => l.StartsWith("tensors:", StringComparison.Ordinal)) + 1];
        Assert.Equal(["name", "shape", "type", "byte", "offset", "elements"], header.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var row = lines.Single(l => l.TrimStart().StartsWith("blk.1.ffn_down.weight", StringComparison.Ordinal));
        Assert.Equal(header.LastIndexOf("elements", StringComparison.Ordinal) + "elements".Length, row.TrimEnd().Length); // counts end under the label
        var tokens = new GenerateRunner(model, 2).Run("", 0f, 1f, 10, 1, true, new StringWriter(), new StringWriter());
        Assert.All(tokens, t => Assert.InRange(t, 0, 511));
    }

    [Theory]
    [InlineData("15M", 288, 768, 6, 6, 256)]
    [InlineData("110M", 768, 2048, 12, 12, 1024)]
    public void Shape_ReferenceNames_MatchSharedReadme(string name, int dim, int hidden, int layers, int heads, int seqLen)
    {
        var c = ModelSynthesizer.Shape(name);

        Assert.Equal((dim, hidden, layers, heads, heads, 32000, seqLen), (c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.VocabSize, c.SeqLen));
        Assert.False(c.SharedClassifier);
    }
}
