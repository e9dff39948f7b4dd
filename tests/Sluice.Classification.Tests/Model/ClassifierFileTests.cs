using Sluice.Classification.Model;
using Sluice.Classification.Training;

namespace Sluice.Classification.Tests.Model;

public sealed class ClassifierFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-clf-").FullName;

    [Fact]
    public void Write_ThenRead_SameModelAndNoTemporaryFileLeft()
    {
        var model = Trained();
        var path = Path.Combine(_dir, "m.clf");

        ClassifierFile.Write(path, model);
        var read = ClassifierFile.Read(path);

        Assert.Equal(ClassifierFile.Serialize(model), ClassifierFile.Serialize(read));
        Assert.Equal(model.Version, read.Version);
        Assert.Equal(["m.clf"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Read_Truncated_ThrowsNamingTheFile()
    {
        var path = Path.Combine(_dir, "cut.clf");
        var bytes = ClassifierFile.Serialize(Trained());
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var ex = Assert.Throws<ClassifierFileException>(() => ClassifierFile.Read(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("truncated or corrupt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NotAClassifierFile_ThrowsNoHeader()
    {
        var path = Path.Combine(_dir, "text.clf");
        File.WriteAllText(path, "hello\tworld\n");

        var ex = Assert.Throws<ClassifierFileException>(() => ClassifierFile.Read(path));

        Assert.Contains("not a Sluice classifier file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OtherFormatVersion_ThrowsNamingBothVersions()
    {
        var path = Path.Combine(_dir, "future.clf");
        var bytes = ClassifierFile.Serialize(Trained());
        bytes[5] = ClassifierFile.FormatVersion + 1;
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<ClassifierFileException>(() => ClassifierFile.Read(path));

        Assert.Contains($"format {ClassifierFile.FormatVersion + 1}; this build reads format {ClassifierFile.FormatVersion}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_HeaderClaimsMoreWeightsThanTheFileHolds_RefusedBeforeAllocating()
    {
        // A well-formed, checksummed header for 2 labels of 2^24 features (128 MiB of weights) followed by none.
        var body = new MemoryStream();
        using (var w = new BinaryWriter(body, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write("SLCLF"u8.ToArray());
            w.Write(ClassifierFile.FormatVersion);
            w.Write(ClassifierFile.MaxBits);
            w.Write(2);
            w.Write("0");
            w.Write("1");
            w.Write("v");
            w.Write("t");
        }

        var bytes = body.ToArray();
        var h = 2166136261u;
        foreach (var b in bytes)
        {
            h = unchecked((h ^ b) * 16777619u);
        }

        var path = Path.Combine(_dir, "claims.clf");
        File.WriteAllBytes(path, [.. bytes, .. BitConverter.GetBytes(h)]);

        var ex = Assert.Throws<ClassifierFileException>(() => ClassifierFile.Read(path));

        Assert.Contains("holds 0 bytes of weights; 2 labels of 2^24 features need", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ClassifierWeights Trained() =>
        ClassifierTrainer.Train(SyntheticSentiment.Examples(100), "synthetic", new TrainingSettings { Epochs = 2, Bits = 10 }).Model;
}
