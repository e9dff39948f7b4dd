using System.Text;

namespace Sluice.Classification.Model;

/// <summary>
/// The classifier file format, little-endian: magic <c>SLCLF</c> and a format version byte, then feature bits (int32),
/// label count (int32) and labels, version and trained-on (length-prefixed UTF-8 strings), then the weights and
/// biases as float32, then an FNV-1a checksum (uint32) of everything before it. A file that is not one, of another
/// format version, truncated or altered is refused with a message naming the file and the problem.
/// </summary>
internal static class ClassifierFile
{
    public const byte FormatVersion = 1;
    public const int MinBits = 8;
    public const int MaxBits = 24;
    public const string Extension = ".clf";

    private const int MaxLabels = 1024;
    private static readonly byte[] s_magic = "SLCLF"u8.ToArray();

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> atomically: a temporary file beside it, flushed, then
    /// renamed over it, so a reader (or a crash) sees the old file or the new one, never half of one.
    /// </summary>
    public static void Write(string path, ClassifierWeights model)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                var bytes = Serialize(model);
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    public static byte[] Serialize(ClassifierWeights model)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(s_magic);
            w.Write(FormatVersion);
            w.Write(model.Bits);
            w.Write(model.Labels.Length);
            foreach (var label in model.Labels)
            {
                w.Write(label);
            }

            w.Write(model.Version);
            w.Write(model.TrainedOn);
            foreach (var f in model.Weights)
            {
                w.Write(f);
            }

            foreach (var f in model.Bias)
            {
                w.Write(f);
            }
        }

        var body = ms.ToArray();
        var result = new byte[body.Length + 4];
        body.CopyTo(result, 0);
        BitConverter.TryWriteBytes(result.AsSpan(body.Length), Checksum(body));
        return result;
    }

    /// <summary>Reads a classifier file; throws <see cref="ClassifierFileException"/> naming the file when it is not a good one.</summary>
    public static ClassifierWeights Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ClassifierFileException($"classifier file {path} cannot be read: {ex.Message}", ex);
        }

        return Parse(bytes, path);
    }

    public static ClassifierWeights Parse(byte[] bytes, string path)
    {
        if (bytes.Length < s_magic.Length + 1 || !bytes.AsSpan(0, s_magic.Length).SequenceEqual(s_magic))
        {
            throw new ClassifierFileException($"{path} is not a Sluice classifier file (no SLCLF header)");
        }

        if (bytes[s_magic.Length] != FormatVersion)
        {
            throw new ClassifierFileException($"{path} is classifier format {bytes[s_magic.Length]}; this build reads format {FormatVersion}");
        }

        if (bytes.Length < s_magic.Length + 5 || Checksum(bytes.AsSpan(0, bytes.Length - 4)) != BitConverter.ToUInt32(bytes, bytes.Length - 4))
        {
            throw new ClassifierFileException($"{path} is truncated or corrupt (checksum mismatch)");
        }

        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, s_magic.Length + 1, bytes.Length - s_magic.Length - 5), Encoding.UTF8);
            var bits = r.ReadInt32();
            var labelCount = r.ReadInt32();
            if (bits is < MinBits or > MaxBits || labelCount is < 2 or > MaxLabels)
            {
                throw new ClassifierFileException($"{path} has {bits} feature bits and {labelCount} labels (expected {MinBits} to {MaxBits} bits, 2 to {MaxLabels} labels)");
            }

            var labels = new string[labelCount];
            for (var k = 0; k < labelCount; k++)
            {
                labels[k] = r.ReadString();
            }

            var version = r.ReadString();
            var trainedOn = r.ReadString();
            // Sized from the header before anything is allocated: a header claiming more than the file holds is refused, not an out-of-memory.
            var expected = (((long)labelCount << bits) + labelCount) * sizeof(float);
            if (r.BaseStream.Length - r.BaseStream.Position != expected)
            {
                throw new ClassifierFileException($"{path} holds {r.BaseStream.Length - r.BaseStream.Position} bytes of weights; {labelCount} labels of 2^{bits} features need {expected}");
            }

            var weights = new float[labelCount << bits];
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = r.ReadSingle();
            }

            var bias = new float[labelCount];
            for (var k = 0; k < bias.Length; k++)
            {
                bias[k] = r.ReadSingle();
            }

            if (r.BaseStream.Position != r.BaseStream.Length)
            {
                throw new ClassifierFileException($"{path} has {r.BaseStream.Length - r.BaseStream.Position} bytes after its weights");
            }

            return new ClassifierWeights(bits, labels, weights, bias, version, trainedOn);
        }
        catch (EndOfStreamException ex)
        {
            throw new ClassifierFileException($"{path} ends before its weights do", ex);
        }
    }

    private static uint Checksum(ReadOnlySpan<byte> data)
    {
        var h = 2166136261u;
        foreach (var b in data)
        {
            h = unchecked((h ^ b) * 16777619u);
        }

        return h;
    }
}
