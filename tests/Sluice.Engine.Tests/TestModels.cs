using System.Text.Json;
using Sluice.Engine.Cli;
using Sluice.Engine.Loading;
using Sluice.Testing;

namespace Sluice.Engine.Tests;

/// <summary>Paths and loaders for the shared 260K model and its golden file, and a small synthetic multi-head model.</summary>
internal static class TestModels
{
    public const string Bin = "models/stories260K.bin";
    public const string Tokenizer = "models/tok512.bin";
    public const string Gguf = "models/stories260K-f32.v1.gguf";
    public const string Golden = "golden/stories260K-greedy.jsonl";

    public static LoadedModel LoadBin(bool packWeights = false) =>
        ModelLoader.Load(SharedDataFactAttribute.RequirePath(Bin), SharedDataFactAttribute.RequirePath(Tokenizer), packWeights: packWeights);

    /// <summary>
    /// A small random llama2.c checkpoint with as many kv heads as query heads (the TinyStories shapes' layout;
    /// stories260K uses grouped-query attention), head size 48 as in the 15M shape, written into <paramref name="directory"/>.
    /// </summary>
    public static LoadedModel LoadSyntheticMultiHead(string directory, bool packWeights = false)
    {
        var path = System.IO.Path.Combine(directory, "multihead.bin");
        var config = new ModelConfig { Dim = 96, HiddenDim = 256, Layers = 2, Heads = 2, KvHeads = 2, VocabSize = 512, SeqLen = 64 };
        ModelSynthesizer.WriteLlama2c(path, config, seed: 7);
        return ModelLoader.Load(path, SharedDataFactAttribute.RequirePath(Tokenizer), packWeights: packWeights);
    }

    public static LoadedModel LoadGguf() => ModelLoader.Load(SharedDataFactAttribute.RequirePath(Gguf));

    public static IReadOnlyList<GoldenLine> ReadGolden()
    {
        var lines = new List<GoldenLine>();
        foreach (var line in File.ReadLines(SharedDataFactAttribute.RequirePath(Golden)))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var tokens = new List<int>();
            foreach (var t in root.GetProperty("tokens_after_bos").EnumerateArray())
            {
                tokens.Add(t.GetInt32());
            }

            lines.Add(new GoldenLine(root.GetProperty("prompt").GetString()!, root.GetProperty("steps").GetInt32(), tokens, root.GetProperty("text").GetString()!));
        }

        return lines;
    }

    /// <summary>A temporary directory deleted on dispose.</summary>
    public static TempFolder CreateTempDirectory() => new("sluice-engine-tests-");

    internal sealed record GoldenLine(string Prompt, int Steps, List<int> Tokens, string Text);
}
