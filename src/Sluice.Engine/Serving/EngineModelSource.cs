using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Core.Models;
using Sluice.Engine.Loading;
using Sluice.Engine.Tokenization;

namespace Sluice.Engine.Serving;

/// <summary>
/// Offers every model found in the configured folders: each llama2.c checkpoint (<c>*.bin</c> with a valid header)
/// paired with a tokenizer (<c>*.bin</c> in the tokenizer format) of the same vocabulary size, and every
/// <c>*.gguf</c>. Names are file names without extension, lowercased; the first folder wins on a clash (within one
/// folder the first file in name order). A file that looks like a model but cannot be served (truncated, no tokenizer
/// of its vocabulary, not really GGUF, its name taken in its folder), a configured folder that does not exist and a
/// folder that is a file are logged, so a model dropped in the folder never just goes missing; a folder that exists
/// but cannot be listed throws <see cref="ModelsFolderException"/> naming the setting.
/// </summary>
internal sealed partial class EngineModelSource : IModelSource
{
    private readonly EngineOptions _options;
    private readonly ILogger _logger;

    public EngineModelSource(IOptions<EngineOptions> options, ILogger<EngineModelSource>? logger = null)
    {
        _options = options.Value;
        _logger = logger ?? NullLogger<EngineModelSource>.Instance;
    }

    public IReadOnlyList<ModelCandidate> Discover()
    {
        var candidates = new List<ModelCandidate>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal); // model name → the file serving it
        var folders = _options.ResolveModelsPaths();
        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder))
            {
                if (File.Exists(folder))
                {
                    // Most likely a model file given where its folder belongs (--models ./models/stories15M.bin).
                    Log.FolderIsAFile(_logger, folder);
                }
                else if (_options.ModelsPaths.Count > 0)
                {
                    // The defaults (./models, ../shared/models) may well be absent; a folder someone configured should not.
                    Log.FolderMissing(_logger, folder);
                }

                continue;
            }

            string[] files;
            try
            {
                files = Directory.GetFiles(folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left to escape, this stopped the server with a bare "Access to the path … is denied" that named
                // neither the models folder nor the setting that chose it.
                throw new ModelsFolderException(Unreadable(folder, folders, ex), ex);
            }

            Array.Sort(files, StringComparer.Ordinal);
            foreach (var file in files)
            {
                var extension = Path.GetExtension(file).ToLowerInvariant();
                if (extension is not (".bin" or ".gguf"))
                {
                    continue;
                }

                var name = ModelName(file);
                if (names.TryGetValue(name, out var taken))
                {
                    // An earlier folder overriding a later one is by design; two files of one folder with one name
                    // (stories15M.bin beside its stories15M.gguf) left the second unserved without a word.
                    if (string.Equals(Path.GetDirectoryName(taken), Path.GetDirectoryName(file), StringComparison.Ordinal))
                    {
                        Log.Skipped(_logger, file, $"the model name {name} is already served from {taken}; rename one of them to serve both");
                    }

                    continue;
                }

                if (!TryDescribe(file, extension, folder, folders, out var tokenizer, out var skipped))
                {
                    if (skipped is not null)
                    {
                        Log.Skipped(_logger, file, skipped);
                    }

                    continue;
                }

                names.Add(name, file);
                var path = file;
                var options = _options;
                candidates.Add(new ModelCandidate
                {
                    Name = name,
                    Kind = ModelKind.Generative,
                    Version = string.Create(CultureInfo.InvariantCulture, $"{FileTarget.Resolve(file).Length:x}-{FileTarget.Resolve(file).LastWriteTimeUtc.Ticks:x}"),
                    Defaults = new SchedulerSettings { MaxNumSeqs = Math.Max(1, options.MaxSequences) },
                    LoadAsync = ct => new ValueTask<IModel>(Task.Run<IModel>(() => new EngineGenerativeModel(ModelLoader.Load(path, tokenizer, options.HugePages, options.PackWeights), name, options, ContentVersion(path, tokenizer)), ct)),
                });
            }
        }

        return candidates;
    }

    /// <summary>Why <paramref name="folder"/> stops the start: the setting that named it, and what to do.</summary>
    private string Unreadable(string folder, IReadOnlyList<string> folders, Exception ex)
    {
        var index = 0;
        while (index < folders.Count && !string.Equals(folders[index], folder, StringComparison.Ordinal))
        {
            index++;
        }

        var setting = _options.ModelsPaths.Count > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{EngineOptions.SectionName}:{nameof(EngineOptions.ModelsPaths)}:{index} (--models) = {folder}")
            : $"the default models folder {folder} ({EngineOptions.SectionName}:{nameof(EngineOptions.ModelsPaths)} is not set)";
        return $"{setting}: the models folder cannot be read ({ex.Message.TrimEnd('.')}). Give the user the server runs as read and execute permission on it (chmod a+rx), or set {EngineOptions.SectionName}:{nameof(EngineOptions.ModelsPaths)} (--models) to a folder it can read.";
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

    /// <summary>
    /// The loaded model's version, which the result cache keys on: the checkpoint's length and the first 12 hex digits
    /// of the SHA-256 of its bytes and its tokenizer's. Length and modification time alone named a retrained
    /// checkpoint of the same shape (the same length) copied with its time kept or set (<c>cp -p</c>, <c>rsync -a</c>,
    /// reproducible image builds) as the old one, which then answered from the old one's cached results; a new
    /// tokenizer, which changes the text, was not named at all. Read while loading, from the page cache the load filled.
    /// </summary>
    internal static string ContentVersion(string path, string? tokenizer)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        var length = Append(sha, path, buffer);
        if (tokenizer is not null)
        {
            Append(sha, tokenizer, buffer);
        }

        return string.Create(CultureInfo.InvariantCulture, $"{length:x}-{Convert.ToHexStringLower(sha.GetHashAndReset())[..12]}");
    }

    private static long Append(IncrementalHash sha, string file, byte[] buffer)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            sha.AppendData(buffer, 0, read);
        }

        return stream.Length;
    }

    /// <summary>
    /// Whether <paramref name="file"/> is a servable model; when it is not, <paramref name="skipped"/> says why if the
    /// file meant to be one (null for what is simply something else, such as a tokenizer).
    /// </summary>
    private static bool TryDescribe(string file, string extension, string folder, IReadOnlyList<string> folders, out string? tokenizer, out string? skipped)
    {
        tokenizer = null;
        skipped = null;
        try
        {
            if (extension == ".gguf")
            {
                if (!ModelLoader.IsGguf(file))
                {
                    skipped = "it does not start with the GGUF magic";
                    return false;
                }

                return true;
            }

            // Tokenizers are *.bin too: only files with a valid llama2.c header of the right size are checkpoints.
            var header = ModelLoader.ReadHeader(file);
            var length = FileTarget.Resolve(file).Length;
            // The header alone first (any length fits it); the size is judged here, against the header's own.
            var config = LlamaCheckpointReader.TryReadHeader(header, long.MaxValue, out var problem);
            if (config is null || length != LlamaCheckpointReader.ExpectedFileBytes(config))
            {
                // A valid header on a file of another size is a damaged checkpoint, unless the file is a tokenizer.
                // A file that is neither (empty, or llama2.c's newer "ak42" exports) is named too: it went unlogged.
                if (!TokenizerReader.TryProbe(file, out _))
                {
                    skipped = config is not null
                        ? string.Create(CultureInfo.InvariantCulture, $"its header ({config}) needs a {LlamaCheckpointReader.ExpectedFileBytes(config)}-byte file but it has {length} bytes")
                        : header.Length < LlamaCheckpointReader.HeaderBytes
                            ? string.Create(CultureInfo.InvariantCulture, $"it has {length} bytes, too few for a llama2.c checkpoint or tokenizer")
                            : $"it is neither a llama2.c tokenizer nor a checkpoint: {problem}";
                }

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
            if (TokenizerReader.TryProbe(file, out _))
            {
                return false;
            }

            if (tokenizer is null)
            {
                skipped = string.Create(CultureInfo.InvariantCulture, $"no tokenizer with its vocabulary of {config.VocabSize} was found beside it or in the other models folders");
                return false;
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            skipped = ex.Message;
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Models folder {Folder} does not exist; no engine models are loaded from it")]
        public static partial void FolderMissing(ILogger logger, string folder);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Skipping {File}: {Reason}")]
        public static partial void Skipped(ILogger logger, string file, string reason);

        [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Models folder {Folder} is a file, not a folder; no engine models are loaded from it (give the folder that holds the model files)")]
        public static partial void FolderIsAFile(ILogger logger, string folder);
    }
}
