using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Sluice.Core.Models;
using Sluice.Engine.Loading;
using Sluice.Engine.Tokenization;

namespace Sluice.Engine.Serving;

/// <summary>
/// Offers every model found in the configured folders: each llama2.c checkpoint (<c>*.bin</c> with a valid header)
/// paired with a tokenizer (<c>*.bin</c> in the tokenizer format) of the same vocabulary size, and every
/// <c>*.gguf</c>. Names are file names without extension, lowercased; the first folder wins on a clash.
/// </summary>
internal sealed class EngineModelSource : IModelSource
{
    private readonly EngineOptions _options;

    public EngineModelSource(IOptions<EngineOptions> options)
    {
        _options = options.Value;
    }

    public IReadOnlyList<ModelCandidate> Discover()
    {
        var candidates = new List<ModelCandidate>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var folders = _options.ResolveModelsPaths();
        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder))
            {
                continue;
            }

            var files = Directory.GetFiles(folder);
            Array.Sort(files, StringComparer.Ordinal);
            foreach (var file in files)
            {
                var extension = Path.GetExtension(file).ToLowerInvariant();
                if (extension is not (".bin" or ".gguf"))
                {
                    continue;
                }

                var name = ModelName(file);
                if (names.Contains(name) || !TryDescribe(file, extension, folder, folders, out var tokenizer))
                {
                    continue;
                }

                names.Add(name);
                var path = file;
                var options = _options;
                candidates.Add(new ModelCandidate
                {
                    Name = name,
                    Kind = ModelKind.Generative,
                    Version = string.Create(CultureInfo.InvariantCulture, $"{FileTarget.Resolve(file).Length:x}-{FileTarget.Resolve(file).LastWriteTimeUtc.Ticks:x}"),
                    Defaults = new SchedulerSettings { MaxNumSeqs = Math.Max(1, options.MaxSequences) },
                    LoadAsync = ct => new ValueTask<IModel>(Task.Run<IModel>(() => new EngineGenerativeModel(ModelLoader.Load(path, tokenizer, options.HugePages, options.PackWeights), name, options), ct)),
                });
            }
        }

        return candidates;
    }

    /// <summary>Model name for a file: its name without extension, lowercased, other characters mapped to '-'.</summary>
    public static string ModelName(string path)
    {
        var stem = Path.GetFileNameWithoutExtension(path).ToLowerInvariant();
        var builder = new StringBuilder(stem.Length);
        foreach (var ch in stem)
        {
            builder.Append(ch is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.' ? ch : '-');
        }

        return builder.ToString();
    }

    private static bool TryDescribe(string file, string extension, string folder, IReadOnlyList<string> folders, out string? tokenizer)
    {
        tokenizer = null;
        try
        {
            if (extension == ".gguf")
            {
                return ModelLoader.IsGguf(file);
            }

            // Tokenizers are *.bin too: only files with a valid llama2.c header of the right size are checkpoints.
            var header = ModelLoader.ReadHeader(file);
            var config = LlamaCheckpointReader.TryReadHeader(header, FileTarget.Resolve(file).Length, out _);
            if (config is null || FileTarget.Resolve(file).Length != LlamaCheckpointReader.ExpectedFileBytes(config))
            {
                return false;
            }

            // Prefer a tokenizer next to the checkpoint, then the other folders in order.
            var search = new List<string> { folder };
            foreach (var f in folders)
            {
                if (!string.Equals(f, folder, StringComparison.Ordinal))
                {
                    search.Add(f);
                }
            }

            tokenizer = ModelLoader.FindTokenizer(config.VocabSize, search);
            return tokenizer is not null && !TokenizerReader.TryProbe(file, out _);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
