using Sluice.Core.Paths;
using Sluice.Engine.Tokenization;

namespace Sluice.Engine.Loading;

/// <summary>Opens a checkpoint of either format, finding a llama2.c tokenizer when none is given.</summary>
internal static class ModelLoader
{
    /// <summary>
    /// Loads <paramref name="path"/>: GGUF when it starts with the GGUF magic, else a llama2.c checkpoint whose
    /// tokenizer is <paramref name="tokenizerPath"/> or the first file next to it (then in the shared models
    /// folder) whose vocabulary size matches. With <paramref name="hugePages"/> the weights are copied into huge
    /// pages where the OS offers them (<see cref="HugePageMemory"/>), else they stay mapped. With
    /// <paramref name="packWeights"/> the F32 matrices are copied into the panel layout (<see cref="WeightPacker"/>).
    /// </summary>
    public static LoadedModel Load(string path, string? tokenizerPath = null, bool hugePages = false, bool packWeights = false)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException(Directory.Exists(full) ? $"{full} is a directory, not a model file" : $"model file not found: {full}", full);
        }

        if (IsGguf(full))
        {
            return GgufLoader.Load(full, hugePages, packWeights);
        }

        if (Path.GetExtension(full).Equals(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            // Read as a llama2.c checkpoint, an empty or damaged .gguf was reported as a bad llama2.c Config header
            // (with its magic read as "dim 1482184792"); the server already says what is wrong.
            throw new ModelFormatException(full, 0, "expected the GGUF magic \"GGUF\" at the start of a .gguf file but it is not there (empty or damaged?)");
        }

        if (tokenizerPath is null)
        {
            var header = ReadHeader(full);
            var config = LlamaCheckpointReader.TryReadHeader(header, FileTarget.Resolve(full).Length, out var problem)
                ?? throw new ModelFormatException(full, 0, problem);
            tokenizerPath = FindTokenizer(config.VocabSize, [Path.GetDirectoryName(full)!, .. SharedModelsFolder()])
                ?? throw new FileNotFoundException($"no llama2.c tokenizer with {config.VocabSize} tokens next to {full}; pass --tokenizer");
        }

        return LlamaCheckpointReader.Load(full, tokenizerPath, hugePages, packWeights);
    }

    public static bool IsGguf(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && BitConverter.ToUInt32(magic) == GgufFile.Magic;
    }

    /// <summary>The first 28 bytes (or fewer) of a file.</summary>
    public static byte[] ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        var header = new byte[LlamaCheckpointReader.HeaderBytes];
        var n = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        return header[..n];
    }

    /// <summary>
    /// A tokenizer file among <paramref name="folders"/> whose vocabulary has <paramref name="vocabSize"/> tokens;
    /// <c>tokenizer.bin</c> is preferred, then names in ordinal order, so the choice is stable.
    /// </summary>
    public static string? FindTokenizer(int vocabSize, IEnumerable<string> folders)
    {
        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder))
            {
                continue;
            }

            var files = Directory.GetFiles(folder, "*.bin");
            Array.Sort(files, static (a, b) =>
            {
                var pa = Path.GetFileName(a).Equals("tokenizer.bin", StringComparison.OrdinalIgnoreCase) ? 0 : 1;
                var pb = Path.GetFileName(b).Equals("tokenizer.bin", StringComparison.OrdinalIgnoreCase) ? 0 : 1;
                return pa != pb ? pa - pb : string.CompareOrdinal(a, b);
            });
            foreach (var file in files)
            {
                if (TokenizerReader.TryProbe(file, out var n) && n == vocabSize)
                {
                    return file;
                }
            }
        }

        return null;
    }

    private static string[] SharedModelsFolder() => SharedData.TryGetPath("models") is { } shared ? [shared] : [];
}
