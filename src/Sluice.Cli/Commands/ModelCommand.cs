using System.CommandLine;
using Sluice.Core.Paths;
using Sluice.Engine.Cli;
using Sluice.Engine.Loading;
using Sluice.Engine.Tokenization;

namespace Sluice.Cli.Commands;

/// <summary><c>./sluice model synth|info</c>: write random-weight checkpoints at real shapes, describe a checkpoint.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var command = new Command("model", "Inspect and synthesize model checkpoints.");
        command.Subcommands.Add(CreateSynth());
        command.Subcommands.Add(CreateInfo());
        return command;
    }

    private static Command CreateSynth()
    {
        var shape = new Option<string>("--shape") { Description = "15M, 42M or 110M (llama2.c TinyStories shapes, unshared classifier)", Required = true };
        var output = new Option<string>("--out") { Description = "Output file", Required = true };
        var format = new Option<string>("--format") { Description = "bin (llama2.c legacy) or gguf", DefaultValueFactory = _ => "bin" };
        var type = new Option<string>("--type") { Description = "GGUF tensor type: f32, f16 or q8_0", DefaultValueFactory = _ => "f32" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the random weights", DefaultValueFactory = _ => 42 };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Vocabulary to embed in a GGUF (default: the shared 32k tokenizer when present)" };
        var command = new Command("synth", "Write a checkpoint with random weights at a real shape (for speed work).");
        foreach (var option in new Option[] { shape, output, format, type, seed, tokenizer })
        {
            command.Options.Add(option);
        }

        command.SetAction((ParseResult r) =>
        {
            // A bad --shape is a bad option value like a bad --format: a usage error (exit 2).
            if (!ModelSynthesizer.TryShape(r.GetValue(shape)!, out var config))
            {
                throw new CliUsageException($"unknown --shape {r.GetValue(shape)} (expected 15M, 42M or 110M)");
            }

            var path = r.GetValue(output)!;
            var fmt = r.GetValue(format)!.ToLowerInvariant();
            if (fmt == "bin")
            {
                if (r.GetValue(type)!.ToLowerInvariant() != "f32")
                {
                    throw new CliUsageException("llama2.c checkpoints are float32 only; use --format gguf for f16 or q8_0");
                }

                CreateFolderOf(path);
                ModelSynthesizer.WriteLlama2c(path, config, r.GetValue(seed));
            }
            else if (fmt == "gguf")
            {
                var tensorType = r.GetValue(type)!.ToLowerInvariant() switch
                {
                    "f32" => TensorType.F32,
                    "f16" => TensorType.F16,
                    "q8_0" => TensorType.Q8_0,
                    var other => throw new CliUsageException($"unknown --type {other} (expected f32, f16 or q8_0)"),
                };
                var tokenizerPath = r.GetValue(tokenizer) ?? ModelLoader.FindTokenizer(config.VocabSize, SharedData.TryGetPath("models") is { } m ? [m] : []);
                var vocab = tokenizerPath is null ? null : TokenizerReader.Load(tokenizerPath);
                CreateFolderOf(path);
                ModelSynthesizer.WriteGguf(path, config, tensorType, vocab, r.GetValue(seed));
            }
            else
            {
                throw new CliUsageException($"unknown --format {fmt} (expected bin or gguf)");
            }

            Console.WriteLine($"wrote {path} ({new FileInfo(path).Length:N0} bytes): {config}");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Creates the folder <paramref name="path"/> goes in, as the bench's --out does: the documented
    /// <c>--out /tmp/sluice-models/synthetic15m.bin</c> otherwise failed on a machine without that folder.
    /// </summary>
    private static void CreateFolderOf(string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }
    }

    private static Command CreateInfo()
    {
        var path = new Argument<string>("path") { Description = "Checkpoint (.bin or .gguf)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "llama2.c tokenizer for a .bin checkpoint" };
        var command = new Command("info", "Print a checkpoint's configuration, tensors and parameter count.");
        command.Arguments.Add(path);
        command.Options.Add(tokenizer);
        command.SetAction((ParseResult r) =>
        {
            using var model = ModelLoader.Load(r.GetValue(path)!, r.GetValue(tokenizer));
            ModelInfoPrinter.Print(model, Console.Out);
            return 0;
        });
        return command;
    }
}
