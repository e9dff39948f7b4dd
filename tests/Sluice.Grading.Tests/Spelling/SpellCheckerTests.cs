using Sluice.Grading.Spelling;
using Sluice.Grading.Text;

namespace Sluice.Grading.Tests.Spelling;

public sealed class SpellCheckerTests
{
    [Theory]
    [InlineData("You can search what thet wear on holidays.", "thet", "they")] // "that" without context
    [InlineData("They got more skillful with using ther hands.", "ther", "their")] // "there"
    [InlineData("Buth with websites people stay inside.", "Buth", "But")] // "Both"
    [InlineData("Computers make it easy and it ean give you a broader view.", "ean", "can")] // "an"
    [InlineData("When do ve get to go home?", "ve", "we")] // "be"
    [InlineData("I knew thet it was late.", "thet", "that")] // context agrees with the ranking
    public void Check_CloseCandidates_TheOneTheNeighbouringWordsFitIsTheReplacement(string text, string misspelt, string expected)
    {
        var found = new List<Suggestion>();

        TestGrader.Speller.Check(Tokenizer.Analyze(text), found);

        var s = Assert.Single(found);
        Assert.Equal(misspelt, text.Substring(s.Start, s.Length));
        Assert.Equal(expected, s.Replacement);
    }

    [Fact]
    public void Check_NameOnlyEverOpeningSentences_NoSuggestionButStillCounted()
    {
        const string text = "Saeng walked home after the test. Saeng was sad because she failed it. Then she saw the hibiscus.";
        var found = new List<Suggestion>();

        var count = TestGrader.Speller.Check(Tokenizer.Analyze(text), found);

        Assert.Empty(found);
        Assert.Equal(2, count); // the count the committed model learned from is unchanged
    }

    [Theory]
    [InlineData("Finaly we left the park. Finaly it was over.", "Finally")]
    [InlineData("Thay went home early. Thay were tired.", "They")]
    [InlineData("Saeng walked home. saeng was sad.", "Sang")]
    public void Check_MisspellingRepeatedAtSentenceStarts_StillReported(string text, string expected)
    {
        var found = new List<Suggestion>();

        TestGrader.Speller.Check(Tokenizer.Analyze(text), found);

        Assert.Equal(2, found.Count);
        Assert.Contains(found, s => s.Replacement == expected);
    }

    [Theory]
    [InlineData("The ball rolled to the buttom of the hill.", "buttom", "bottom", "button")]
    [InlineData("Press the buttom to turn it on.", "buttom", "bottom", "button")]
    [InlineData("Buttom line, computers help us.", "Buttom", "Bottom", "Button")]
    public void Check_TwoCandidatesTheContextCannotTellApart_MessageOffersBoth(string text, string misspelt, string first, string second)
    {
        var found = new List<Suggestion>();

        TestGrader.Speller.Check(Tokenizer.Analyze(text), found);

        var s = Assert.Single(found);
        Assert.Equal(misspelt, text.Substring(s.Start, s.Length));
        Assert.Equal(first, s.Replacement);
        Assert.Equal($"\"{misspelt}\" may be misspelled; did you mean \"{first}\" or \"{second}\"?", s.Message);
    }

    [Theory]
    [InlineData("I went to the libary yesterday.", "library")]
    [InlineData("You can search what thet wear on holidays.", "they")]
    [InlineData("It is a posative thing.", "positive")]
    public void Check_OneCandidateClearlyAhead_MessageOffersOnlyIt(string text, string expected)
    {
        var found = new List<Suggestion>();

        TestGrader.Speller.Check(Tokenizer.Analyze(text), found);

        var s = Assert.Single(found);
        Assert.EndsWith($"did you mean \"{expected}\"?", s.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("My cousin lives in \u65E5\u672C and loves it.", 0)]
    [InlineData("She says \u05E9\u05DC\u05D5\u05DD to everyone.", 0)]
    [InlineData("He says \u043F\u0440\u0438\u0432\u0435\u0442 and \u03BA\u03B1\u03BB\u03B7\u03BC\u03AD\u03C1\u03B1 to us.", 0)]
    [InlineData("My cousin lives in \u65E5\u672C and lovs it.", 1)]
    public void Check_WordsInOtherScripts_NotMisspellings(string text, int expected)
    {
        var found = new List<Suggestion>();

        var count = TestGrader.Speller.Check(Tokenizer.Analyze(text), found);

        Assert.Equal(expected, count);
        Assert.Equal(expected, found.Count);
    }

    [Theory]
    [InlineData("Look it up at https://www.exampel.com/wiki/Computr_science?id=3 before class.", 0)]
    [InlineData("E-mail me at jane.doe@scool.edu or sam_smth@exampel.org, please.", 0)]
    [InlineData("Look it up at https://example.com and then wrte to me.", 1)]
    [InlineData("My frend @CAPS1 sent a leter.", 2)]
    public void Check_PartsOfLinksAndEmailAddresses_NotMisspellings(string text, int expected)
    {
        var found = new List<Suggestion>();

        var count = TestGrader.Speller.Check(Tokenizer.Analyze(text), found);

        Assert.Equal(expected, count);
    }

    [Fact]
    public void Suggest_MoreDistinctWordsThanTheCacheHolds_CacheStartsAfresh()
    {
        var speller = new SpellChecker(TestGrader.Dictionary);
        for (var i = 0; i <= SpellChecker.MaxCached; i++)
        {
            speller.Suggest("qz" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(SpellChecker.MaxCached + 1, speller.CachedCount);
        speller.Suggest("qz" + speller.CachedCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, speller.CachedCount); // the bound held: cleared, then the new word cached
    }
}
