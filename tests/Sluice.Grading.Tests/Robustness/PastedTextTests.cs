namespace Sluice.Grading.Tests.Robustness;

/// <summary>
/// What students paste from word processors, PDFs and web pages: the same essay in other typography or with invisible
/// characters must grade as its plain-ASCII form does (same score, statistics and suggestions).
/// </summary>
public sealed class PastedTextTests
{
    /// <summary>A clean prompt-1 letter, all ASCII, on which the grader makes no suggestion.</summary>
    private const string Plain =
        "Dear local newspaper,\n\n" +
        "I think that computers have a positive effect on people. They don't waste time and it's easy to learn things. " +
        "People can talk online with friends who live far away. For example, my cousin lives in another country and we talk every day.\n\n" +
        "Secondly, computers help students with their homework. You can look up information about anything you want. " +
        "Some people say that computers are bad because people don't exercise, but I disagree. Kids can still go outside " +
        "and play sports after they finish their work.\n\n" +
        "In conclusion, computers are good for society. I hope you agree with me and write about this in your paper.\n\n" +
        "Sincerely, Sam";

    [Theory]
    [InlineData("\u2029")]
    [InlineData("\u2028\u2028")]
    [InlineData("\v")]
    [InlineData("\f")]
    [InlineData("\u0085\u0085")]
    public void Grade_ParagraphsBrokenByOtherLineSeparators_GradedAsWithNewlines(string separator)
    {
        AssertGradedAsPlain(Plain.Replace("\n\n", separator, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("\u2019")]
    [InlineData("\u02BC")]
    [InlineData("\u00B4")]
    [InlineData("\u2018")]
    [InlineData("`")]
    public void Grade_ApostropheLookAlikes_GradedAsAsciiApostrophes(string apostrophe)
    {
        AssertGradedAsPlain(Plain.Replace("'", apostrophe, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("\u200B")]
    [InlineData("\u00AD")]
    public void Grade_InvisibleBreakOpportunitiesInsideWords_GradedAsWithout(string invisible)
    {
        AssertGradedAsPlain(Plain.Replace("computers", "comp" + invisible + "uters", StringComparison.Ordinal)
            .Replace("information", "infor" + invisible + "ma" + invisible + "tion", StringComparison.Ordinal));
    }

    [Fact]
    public void Grade_LigaturesCopiedFromAPdf_GradedAsPlainLetters()
    {
        AssertGradedAsPlain(Plain.Replace("effect", "e\uFB00ect", StringComparison.Ordinal)
            .Replace("finish", "\uFB01nish", StringComparison.Ordinal));
    }

    private static void AssertGradedAsPlain(string text)
    {
        var plain = TestGrader.Instance.Grade(new EssayRequest(Plain, 1));
        var pasted = TestGrader.Instance.Grade(new EssayRequest(text, 1));

        Assert.Empty(plain.Suggestions);
        Assert.Empty(pasted.Suggestions);
        Assert.Equal(plain.Score.Raw, pasted.Score.Raw);
        Assert.Equal(plain.Traits.Select(t => t.Score), pasted.Traits.Select(t => t.Score));
        Assert.Equal(plain.Statistics with { Characters = 0 }, pasted.Statistics with { Characters = 0 });
    }
}
