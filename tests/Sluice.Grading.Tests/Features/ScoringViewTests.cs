using Sluice.Grading.Features;
using Sluice.Grading.Text;

namespace Sluice.Grading.Tests.Features;

public sealed class ScoringViewTests
{
    private static string[] Lower(string text) => ScoringView.Of(Tokenizer.Analyze(text)).Lower;

    [Fact]
    public void Of_NamesAndNumbersInsideSentences_BecomePlaceholdersAsInAsap()
    {
        var lower = Lower("My Mom and I met Maria at the Apple store at 3 pm. Then Maria and I'm sure Mom left.");

        Assert.Equal(["my", "@caps1001", "and", "i", "met", "@caps1002", "at", "the", "@caps1003", "store", "at", "@num1004", "pm", ".",
            "then", "@caps1002", "and", "i'm", "sure", "@caps1001", "left", "."], lower);
    }

    [Fact]
    public void Of_AsapPlaceholdersAndSentenceStarts_Unchanged()
    {
        const string text = "Computers help @PERSON1 learn. They are good.";
        var doc = Tokenizer.Analyze(text);

        Assert.Same(doc, ScoringView.Of(doc));
    }

    [Fact]
    public void Of_EssayWrittenInCapitals_KeepsItsWords()
    {
        var lower = Lower("I THINK COMPUTERS ARE GOOD FOR KIDS AND Parents.");

        Assert.DoesNotContain(lower, w => w.StartsWith('@'));
    }

    [Fact]
    public void Of_Placeholders_CountAsPlaceholderFeatureNotWords()
    {
        var doc = Tokenizer.Analyze("We went to see Grandma in Boston last June with Dad and Sam.");
        var placeholders = Array.IndexOf(FeatureExtractor.Names, "placeholders");

        var real = FeatureExtractor.Compute(doc, default, null)[placeholders];
        var view = FeatureExtractor.Compute(ScoringView.Of(doc), default, null)[placeholders];

        Assert.Equal(0, real);
        Assert.Equal(5, view);
    }
}
