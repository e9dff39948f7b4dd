using Sluice.Grading.Grammar;
using Sluice.Grading.Text;

namespace Sluice.Grading.Tests.Grammar;

public sealed class ConfusedWordsTests
{
    private static List<Suggestion> Check(string text)
    {
        var output = new List<Suggestion>();
        GrammarChecker.Check(Tokenizer.Analyze(text), output);
        return output.FindAll(s => s.Rule == "confused_word");
    }

    [Theory]
    [InlineData("Their are many reasons.", "Their", "There")]
    [InlineData("I know their was a problem.", "their", "there")]
    [InlineData("Kids talk to there friends online.", "there", "their")]
    [InlineData("Everyone has there own opinion.", "there", "their")]
    [InlineData("People spend most of there time inside.", "there", "their")]
    [InlineData("If your not careful, you fall.", "your", "you're")]
    [InlineData("I think your going to like it.", "your", "you're")]
    [InlineData("I said your welcome.", "your", "you're")]
    [InlineData("I think its a bad idea.", "its", "it's")]
    [InlineData("Its not fair.", "Its", "It's")]
    [InlineData("It feels like its been forever.", "its", "it's")]
    [InlineData("Computers are faster then books.", "then", "than")]
    [InlineData("I would rather then stay home.", "then", "than")]
    [InlineData("We waited. Than we left.", "Than", "Then")]
    [InlineData("We ate and than we left.", "than", "then")]
    [InlineData("People spend to much time online.", "to", "too")]
    [InlineData("There were way to many obstacles.", "to", "too")]
    [InlineData("To much time on screens is bad.", "To", "Too")]
    [InlineData("He started to loose hope.", "loose", "lose")]
    [InlineData("You will loose your job.", "loose", "lose")]
    [InlineData("I want to loose weight.", "loose", "lose")]
    [InlineData("THEIR ARE TWO.", "THEIR", "THERE")]
    public void Check_SoundAlikeWrittenForAnother_ReportedWithTheWordMeant(string text, string written, string replacement)
    {
        var hit = Assert.Single(Check(text));

        Assert.Equal("spelling", hit.Category);
        Assert.Equal(written, text.Substring(hit.Start, hit.Length));
        Assert.Equal(replacement, hit.Replacement);
    }

    [Theory]
    [InlineData("Their house is big.")]
    [InlineData("There is a dog over there.")]
    [InlineData("I went in there.")]
    [InlineData("There are many friends there.")]
    [InlineData("It was there, friends said.")]
    [InlineData("Your friends are kind.")]
    [InlineData("Your going was a surprise.")]
    [InlineData("Your always-on phone distracts you.")]
    [InlineData("Your welcome speech was short.")]
    [InlineData("The dog wagged its tail.")]
    [InlineData("The town has its own rules.")]
    [InlineData("The book lost its only copy.")]
    [InlineData("We ate, then we left.")]
    [InlineData("First we ate and then we left.")]
    [InlineData("More, then less, then more again.")]
    [InlineData("She is taller than me.")]
    [InlineData("It is offensive to many people.")]
    [InlineData("Obesity is rising due to many factors.")]
    [InlineData("I have been to many libraries.")]
    [InlineData("We look forward to much of the show.")]
    [InlineData("The knot was loose.")]
    [InlineData("The dog broke loose.")]
    [InlineData("Computers are better than books.")]
    public void Check_RightWordOrAmbiguousContext_NothingReported(string text) =>
        Assert.Empty(Check(text));

    [Fact]
    public void Check_ConfusedWord_NotCountedAsAnError()
    {
        // The committed model learned its error counts without this rule: a hit must not move a score.
        var analysis = new EssayAnalysis(Tokenizer.Analyze("Kids talk to there friends. Its a fact."));
        EssayAnalyzer.Grammar(analysis);

        Assert.Equal(2, analysis.Suggestions.FindAll(s => s.Rule == "confused_word").Count);
        Assert.Equal(0, analysis.Errors.Grammar);
        Assert.Equal(0, analysis.Errors.Misspellings);
    }
}
