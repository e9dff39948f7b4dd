using Sluice.Grading.Spelling;

namespace Sluice.Grading.Tests.Spelling;

public sealed class SpellDictionaryTests
{
    [Theory]
    [InlineData("computer")]
    [InlineData("computers")]
    [InlineData("beneficial")]
    [InlineData("don't")]
    [InlineData("newspaper's")]
    [InlineData("well-known")]
    public void Contains_EnglishWords_True(string word)
    {
        Assert.True(TestGrader.Dictionary.Contains(word));
    }

    [Theory]
    [InlineData("posative")]
    [InlineData("becuase")]
    [InlineData("exersize")]
    public void Contains_Misspellings_False(string word)
    {
        Assert.False(TestGrader.Dictionary.Contains(word));
    }

    [Theory]
    [InlineData("recieve", "receive")]
    [InlineData("becuase", "because")]
    [InlineData("lern", "learn")]
    [InlineData("posative", "positive")]
    [InlineData("beleive", "believe")]
    [InlineData("alot", "a lot")]
    [InlineData("computor", "computer")]
    [InlineData("refered", "referred")]
    [InlineData("ocurred", "occurred")]
    [InlineData("intune", "in tune")]
    [InlineData("infact", "in fact")]
    [InlineData("somthing", "something")]
    [InlineData("freinds", "friends")]
    public void Suggest_CommonMisspellings_ReturnsCorrection(string word, string expected)
    {
        Assert.Equal(expected, TestGrader.Speller.Suggest(word));
    }

    [Theory]
    [InlineData("thay", "they")] // a vowel for a vowel, not "that" (a letter for a neighbouring key)
    [InlineData("hte", "the")] // the first two letters swapped, not "he" (a letter dropped)
    [InlineData("ther", "there")] // a missing vowel, not "the" (a missing consonant)
    [InlineData("offened", "offended")] // keeps its "-ed", not "offend"
    [InlineData("goin", "going")] // the "g" of "-ing", not "gain"
    [InlineData("ment", "meant")] // a missing vowel, not "meet"
    [InlineData("nother", "another")]
    [InlineData("tounge", "tongue")]
    [InlineData("wated", "waited")]
    [InlineData("iside", "inside")] // not "side": the first two letters of a longer word are not taken as swapped
    [InlineData("evry", "every")]
    public void Suggest_SlipsStudentsMake_RanksTheLikelyWordFirst(string word, string expected)
    {
        Assert.Equal(expected, TestGrader.Speller.Suggest(word));
    }

    [Fact]
    public void Suggest_AnotherGraderOverTheSameDictionary_DoesNotChangeThisCheckersRanking()
    {
        // Ranks belong to each grader's model; the dictionary is shared. A model knowing only "use" and "full" once
        // re-ranked every grader in the process, and "usefull" became "use full" depending on test order.
        var speller = TestGrader.Speller;
        _ = new EssayGrader(TestGrader.Instance.Model with { CommonWords = ["use", "full"] }, new EssayAnalyzer(new SpellChecker(TestGrader.Dictionary)));

        Assert.Equal("useful", speller.Suggest("usefull"));
    }

    [Fact]
    public void Suggest_Nonsense_ReturnsNull()
    {
        Assert.Null(TestGrader.Speller.Suggest("qzxvkwplj"));
    }

    [Fact]
    public void Load_MissingFiles_ThrowsWithInstallHint()
    {
        var ex = Assert.Throws<DictionaryNotFoundException>(() => SpellDictionary.Load("/nonexistent/words", "/nonexistent/en_US.dic"));

        Assert.Contains("install-grading-deps.sh", ex.Message);
        Assert.Contains("wamerican", ex.Message);
    }

    [Fact]
    public void Check_AsapPlaceholdersAndAcronyms_AreNotMisspellings()
    {
        var doc = Sluice.Grading.Text.Tokenizer.Analyze("Dear @CAPS1 @PERSON2, the NASA team met @NUM1 people at @LOCATION1.");
        var output = new List<Suggestion>();

        var count = TestGrader.Speller.Check(doc, output);

        Assert.Equal(0, count);
        Assert.Empty(output);
    }

    [Fact]
    public void Check_Misspelling_SuggestionHasSpanAndCapitalisedReplacement()
    {
        const string text = "Computors are usefull.";
        var doc = Sluice.Grading.Text.Tokenizer.Analyze(text);
        var output = new List<Suggestion>();

        TestGrader.Speller.Check(doc, output);

        var first = Assert.Single(output, s => s.Start == 0);
        Assert.Equal("spelling", first.Category);
        Assert.Equal("Computors", text.Substring(first.Start, first.Length));
        Assert.Equal("Computers", first.Replacement);
        Assert.Contains(output, s => s.Replacement == "useful");
    }

    [Theory]
    [InlineData("librarys", "libraries")]
    [InlineData("shelfs", "shelves")]
    [InlineData("lifes", "lives")]
    [InlineData("relaxs", "relaxes")]
    [InlineData("werent", "weren't")]
    [InlineData("havent", "haven't")]
    [InlineData("theres", "there's")]
    [InlineData("todays", "today's")]
    [InlineData("nobodys", "nobody's")]
    [InlineData("couldve", "could've")]
    [InlineData("happend", "happened")]
    [InlineData("explaind", "explained")]
    [InlineData("tierd", "tired")]
    public void Suggest_WrongEndingOrMissingApostrophe_KeepsTheEnding(string word, string expected)
    {
        Assert.Equal(expected, TestGrader.Speller.Suggest(word));
    }

    [Theory]
    [InlineData("greatfull", "grateful")]
    [InlineData("definetly", "definitely")]
    [InlineData("wich", "which")]
    [InlineData("noone", "no one")]
    public void Suggest_FrequentSlipsTheEditsGetWrong_FixedCorrection(string word, string expected)
    {
        Assert.Equal(expected, TestGrader.Speller.Suggest(word));
    }

    [Theory]
    [InlineData("pre-school")]
    [InlineData("non-violent")]
    [InlineData("sci-fi")]
    [InlineData("cyber")]
    public void Contains_HyphenatedPrefixesAndCommonEssayWords_True(string word)
    {
        Assert.True(TestGrader.Dictionary.Contains(word));
    }

    [Fact]
    public void Check_NameCapitalizedInsideASentence_NotMisspelledAnywhere()
    {
        const string text = "Saeng failed her test. The story of Saeng ends in spring, and Narciso's parents cook. Later saeng smiles.";
        var output = new List<Suggestion>();

        var count = TestGrader.Speller.Check(Sluice.Grading.Text.Tokenizer.Analyze(text), output);

        // Only the lower-case "saeng" is an error, and its fix is the name as the essay writes it.
        Assert.Equal(1, count);
        var hit = Assert.Single(output);
        Assert.Equal("saeng", text.Substring(hit.Start, hit.Length));
        Assert.Equal("Saeng", hit.Replacement);
    }

    [Fact]
    public void Check_WordsRunTogetherAtACapital_ReplacementSplitsThem()
    {
        const string text = "They replied who's thereI said boo.";
        var output = new List<Suggestion>();

        TestGrader.Speller.Check(Sluice.Grading.Text.Tokenizer.Analyze(text), output);

        var hit = Assert.Single(output);
        Assert.Equal("thereI", text.Substring(hit.Start, hit.Length));
        Assert.Equal("there I", hit.Replacement);
    }
}
