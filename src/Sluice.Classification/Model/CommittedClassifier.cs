using System.IO.Compression;
using System.Reflection;

namespace Sluice.Classification.Model;

/// <summary>
/// The default classifier committed with the code (<c>Model/text-classifier.clf.gz</c>, embedded): what
/// <c>./sluice classifier train</c> writes for the UCI sentiment data with the default settings, gzipped (2 MiB of
/// weights, 0.4 MiB compressed). Served while the model folder has no file, so a fresh clone classifies without
/// <c>../shared</c> or a training run.
/// </summary>
internal static class CommittedClassifier
{
    public const string ResourceName = "Sluice.Classification.text-classifier.clf.gz";

    /// <summary>Shown where a file's path would be, in errors and the model's metadata.</summary>
    public const string Source = "committed:Model/text-classifier.clf.gz";

    // Decompressed and parsed once per process: every classifier model instance shares the same read-only weights.
    private static readonly Lazy<ClassifierWeights> s_weights = new(() => ClassifierFile.Parse(ReadBytes(), Source));

    /// <summary>The committed weights (throws <see cref="ClassifierFileException"/> for a damaged resource).</summary>
    public static ClassifierWeights Weights => s_weights.Value;

    /// <summary>The classifier file's bytes, decompressed, exactly as training wrote them.</summary>
    public static byte[] ReadBytes()
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new ClassifierFileException($"the build has no embedded {ResourceName}");
        using var gz = new GZipStream(s, CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }
}
