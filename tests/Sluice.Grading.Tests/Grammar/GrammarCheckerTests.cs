using Sluice.Grading.Grammar;
using Sluice.Grading.Text;

namespace Sluice.Grading.Tests.Grammar;

public sealed class GrammarCheckerTests
{
    private static List<Suggestion> Check(string text)
    {
        var output = new List<Suggestion>();
        GrammarChecker.Check(Tokenizer.Analyze(text), output);
        return output;
    }

    [Theory]
    [InlineData("I ate a apple.", "a_an", "an")]
    [InlineData("She is an good friend.", "a_an", "a")]
    [InlineData("We went to the the park.", "repeated_word", "the")]
    [InlineData("He don't like it.", "agreement", "doesn't")]
    [InlineData("They was late.", "agreement", "were")]
    [InlineData("I could of won.", "could_of", "have")]
    [InlineData("This is more better.", "double_comparative", "better")]
    [InlineData("Yesterday i ran.", "pronoun_i", "I")]
    [InlineData("It rained. we stayed in.", "sentence_start", "We")]
    [InlineData("Apples,pears and plums.", "missing_space", ", ")]
    [InlineData("I like it , really.", "space_before_punctuation", ",")]
    [InlineData("Stop it!!! Now.", "repeated_punctuation", "!")]
    [InlineData("The end of the story", "missing_final_punctuation", "story.")]
    public void Check_Error_ReportsRuleWithReplacement(string text, string rule, string replacement)
    {
        var hit = Assert.Single(Check(text), s => s.Rule == rule);

        Assert.Equal(replacement, hit.Replacement);
        Assert.InRange(hit.Start, 0, text.Length - 1);
        Assert.InRange(hit.Start + hit.Length, 1, text.Length);
    }

    [Theory]
    [InlineData("a university", false)]
    [InlineData("an hour", false)]
    [InlineData("a one-time deal", false)]
    [InlineData("an umbrella", false)]
    public void Check_AAnExceptions_NoFalseAlarm(string phrase, bool expected)
    {
        Assert.Equal(expected, Check($"It was {phrase} indeed.").Any(s => s.Rule == "a_an"));
    }

    [Theory]
    [InlineData("I like it ,really.", "like it ,really", "space_before_punctuation", "like it, really")]
    [InlineData("Was it worth it ??? Yes.", "worth it ??? Yes", "space_before_punctuation", "worth it? Yes")]
    [InlineData("Was it ?? Yes.", "Was it ?? Yes", "space_before_punctuation", "Was it? Yes")]
    [InlineData("A A time when I was young.", "A A time", "repeated_word", "A time")]
    public void Check_SeveralProblemsAtOnePlace_OneSuggestionWhoseFixRepairsAll(string text, string excerpt, string rule, string fixedExcerpt)
    {
        var fixes = Check(text).Where(s => s.Replacement is not null).ToList();

        // One fix per place: two overlapping replacements cannot both be applied.
        var hit = Assert.Single(fixes);
        Assert.Equal(rule, hit.Rule);
        var applied = text[..hit.Start] + hit.Replacement + text[(hit.Start + hit.Length)..];
        Assert.Contains(fixedExcerpt, applied);
        Assert.Contains(excerpt, text);
    }

    [Fact]
    public void Check_Fragment_Reported()
    {
        Assert.Contains(Check("I stayed home. Because it was raining."), s => s.Rule == "fragment");
    }

    [Fact]
    public void Check_RunOn_Reported()
    {
        var longSentence = string.Join(' ', Enumerable.Repeat("we ran and we played and we laughed", 8)) + ".";

        Assert.Contains(Check("It was fun. " + char.ToUpperInvariant(longSentence[0]) + longSentence[1..]), s => s.Rule == "run_on");
    }

    [Fact]
    public void Check_CleanParagraph_NoSuggestions()
    {
        const string text = "Computers help students learn. However, they can also distract them. In my opinion, families should set limits, and children should spend time outside.";

        Assert.Empty(Check(text));
    }
}
