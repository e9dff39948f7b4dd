using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;

namespace Sluice.Grading.Scoring;

/// <summary>
/// Reads and writes the model file: compact JSON, gzip-compressed (<c>essay-grader.model.json.gz</c>). The version is
/// the first 12 hex digits of the file's SHA-256, computed on load (training is deterministic and gzip here writes no
/// timestamp, so the same data and seed give the same bytes and version). The committed default model is embedded.
/// </summary>
internal static class ModelStore
{
    public const string DefaultFileName = "essay-grader.model.json.gz";
    private const string ResourceName = "Sluice.Grading.essay-grader.model.json.gz";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };

    public static void Save(GradingModel model, string path)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(model with { Version = "" }, s_json);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = File.Create(path);
        // GZipStream writes no timestamp or file name, so the bytes are reproducible.
        using var gz = new GZipStream(file, CompressionLevel.SmallestSize);
        gz.Write(json);
    }

    public static GradingModel Load(string path) => Read(File.ReadAllBytes(path));

    /// <summary>The committed default model embedded in the assembly, or null when the build has none.</summary>
    public static GradingModel? LoadEmbedded()
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName);
        if (s is null)
        {
            return null;
        }

        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return Read(ms.ToArray());
    }

    /// <summary>Version of a model file without loading it (cheap: one hash over a few hundred KB).</summary>
    public static string VersionOf(byte[] fileBytes) => Convert.ToHexStringLower(SHA256.HashData(fileBytes))[..12];

    /// <summary>Version of the embedded model, or null.</summary>
    public static string? EmbeddedVersion()
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName);
        if (s is null)
        {
            return null;
        }

        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return VersionOf(ms.ToArray());
    }

    private static GradingModel Read(byte[] bytes)
    {
        using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        var model = JsonSerializer.Deserialize<GradingModel>(gz, s_json) ?? throw new InvalidDataException("empty model file");
        if (model.Format != GradingModel.CurrentFormat)
        {
            throw new InvalidDataException($"model file format {model.Format} is not supported (expected {GradingModel.CurrentFormat})");
        }

        return model with { Version = VersionOf(bytes) };
    }
}
