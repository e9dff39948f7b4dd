using Sluice.Grading.Data;

namespace Sluice.Grading.Tests.Data;

public sealed class TsvReaderTests
{
    [Fact]
    public void Parse_QuotedFieldsWithEscapesAndNewlines_KeepsThemInOneField()
    {
        var rows = TsvReader.Parse("id\ttext\tscore\r\n1\t\"He said \"\"hi\"\"\r\nthen left\"\t4\r\n2\tplain\t3\r\n").ToList();

        Assert.Equal(3, rows.Count);
        Assert.Equal("He said \"hi\"\r\nthen left", rows[1][1]);
        Assert.Equal("4", rows[1][2]);
        Assert.Equal(["2", "plain", "3"], rows[2]);
    }

    [Fact]
    public void Parse_EmptyTrailingFields_AreKept()
    {
        var rows = TsvReader.Parse("a\t\t\r\n").ToList();

        Assert.Single(rows);
        Assert.Equal(3, rows[0].Length);
    }
}
