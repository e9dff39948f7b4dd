using Sluice.Cli.Commands;

namespace Sluice.Cli.Tests.Commands;

public sealed class GradeCommandTests
{
    [Theory]
    [InlineData(0, "0 grammar/punctuation issues")]
    [InlineData(1, "1 grammar/punctuation issue")]
    [InlineData(2, "2 grammar/punctuation issues")]
    public void Count_ByNumber_PluralizesTheNoun(int n, string expected)
    {
        Assert.Equal(expected, GradeCommand.Count(n, "grammar/punctuation issue"));
    }
}
