using Sluice.Classification.Training;

namespace Sluice.Classification.Tests.Training;

public sealed class LabelledTextReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-data-").FullName;

    [Fact]
    public void Read_CrlfLinesWithNextLineInside_SplitsOnNewlineOnly()
    {
        var file = Path.Combine(_dir, "a.txt");
        File.WriteAllText(file, "good film\u0085 really\t1\r\nbad film\t0\r\n\r\n");

        var (examples, source) = LabelledTextReader.Read(file);

        Assert.Equal([new LabelledText("good film\u0085 really", "1"), new LabelledText("bad film", "0")], examples);
        Assert.Equal("a.txt", source);
    }

    [Fact]
    public void Read_RootFolderHoldsALinkToAFileOutsideTheRoots_RefusedNamingTheLinkWithoutReadingIt()
    {
        using var dirs = new Serving.LinkedFolders();

        var ex = Assert.Throws<TrainingDataException>(() => LabelledTextReader.Read(dirs.Root, [dirs.Root]));

        Assert.Contains("link.txt", ex.Message, StringComparison.Ordinal);
        Assert.Contains("outside the training roots", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Folder_ReadsEveryTxtFileInNameOrder()
    {
        File.WriteAllText(Path.Combine(_dir, "b.txt"), "bad\t0\n");
        File.WriteAllText(Path.Combine(_dir, "a.txt"), "good\t1\n");
        File.WriteAllText(Path.Combine(_dir, "notes.md"), "not data");

        var (examples, source) = LabelledTextReader.Read(_dir);

        Assert.Equal(["good", "bad"], examples.Select(e => e.Text));
        Assert.Equal("a.txt,b.txt", source);
    }

    [Fact]
    public void Read_LineWithoutTab_ThrowsNamingFileAndLine()
    {
        var file = Path.Combine(_dir, "bad.txt");
        File.WriteAllText(file, "good\t1\nno label here\n");

        var ex = Assert.Throws<TrainingDataException>(() => LabelledTextReader.Read(file));

        Assert.Equal($"training data {file} line 2: expected 'sentence<TAB>label'", ex.Message);
    }

    [Fact]
    public void Read_OneLabelOnly_ThrowsTwoLabelsNeeded()
    {
        var file = Path.Combine(_dir, "one.txt");
        File.WriteAllText(file, "good\t1\nfine\t1\n");

        var ex = Assert.Throws<TrainingDataException>(() => LabelledTextReader.Read(file));

        Assert.Contains("at least two labels", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MoreLabelsThanSupported_ThrowsNamingTheLimit()
    {
        var file = Path.Combine(_dir, "many.txt");
        File.WriteAllText(file, string.Concat(Enumerable.Range(0, LabelledTextReader.MaxLabels + 1).Select(i => $"sentence {i}\t{i}\n")));

        var ex = Assert.Throws<TrainingDataException>(() => LabelledTextReader.Read(file));

        Assert.Contains($"has {LabelledTextReader.MaxLabels + 1} distinct labels; at most {LabelledTextReader.MaxLabels}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Missing_ThrowsDoesNotExist()
    {
        var ex = Assert.Throws<TrainingDataException>(() => LabelledTextReader.Read(Path.Combine(_dir, "nope.txt")));

        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
