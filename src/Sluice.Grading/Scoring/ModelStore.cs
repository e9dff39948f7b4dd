using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;

namespace Sluice.Grading.Scoring;

/// <summary>
/// Reads and writes the model file: indented-free JSON, gzip-compressed (<c>essay-grader.model.json.gz</c>). The
/// version is a hash of the JSON content, so the same training run always produces the same bytes and version.
/// The committed default model is embedded in this assembly.
/// </summary>
internal static class ModelStore
{
    public const string DefaultFileName = "essay-grader.model.json.gz";
    private const string ResourceName = "Sluice.Grading.essay-grader.model.json.gz";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };

    public static void Save(GradingModel model, string path)
    {
        var versioned = model with { Version = "" };
        var json = JsonSerializer.SerializeToUtf8Bytes(versioned, s_json);
        var version = Convert.ToHexStringLower(SHA256.HashData(json))[..12];
        json = JsonSerializer.SerializeToUtf8Bytes(versioned with { Version = version }, s_json);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = File.Create(path);
        // GZipStream writes no timestamp or file name, so the bytes are reproducible.
        using var gz = new GZipStream(file, CompressionLevel.SmallestSize);
        gz.Write(json);
    }

    public static GradingModel Load(string path)
    {
        using var file = File.OpenRead(path);
        return Read(file);
    }

    /// <summary>The committed default model embedded in the assembly, or null when the build has none.</summary>
    public static GradingModel? LoadEmbedded()
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName);
        return s is null ? null : Read(s);
    }

    private static GradingModel Read(Stream stream)
    {
        using var gz = new GZipStream(stream, CompressionMode.Decompress);
        var model = JsonSerializer.Deserialize<GradingModel>(gz, s_json) ?? throw new InvalidDataException("empty model file");
        if (model.Format != GradingModel.CurrentFormat)
        {
            throw new InvalidDataException($"model file format {model.Format} is not supported (expected {GradingModel.CurrentFormat})");
        }

        return model;
    }
}
