using Sluice.Grading.Text;

namespace Sluice.Grading.Tests.Text;

public sealed class TokenizerTests
{
    [Fact]
    public void Analyze_SentencesAndParagraphs_SplitsOnMarksNewlinesAndSpaceRuns()
    {
        var doc = Tokenizer.Analyze("I like dogs. Do you?\n\nYes! They are fun.     New paragraph here.");

        Assert.Equal(5, doc.Sentences.Count);
        Assert.Equal(3, doc.ParagraphCount);
        Assert.Equal("Do you?", doc.SentenceText(1));
        Assert.Equal(2, doc.Sentences[4].Paragraph);
    }

    [Fact]
    public void Analyze_AsapPlaceholders_AreOneTokenOfTheirOwnKind()
    {
        var doc = Tokenizer.Analyze("Dear @CAPS1 @PERSON2, I have @NUM1 dogs.");

        var placeholders = doc.Tokens.Where(t => t.Kind == TokenKind.Placeholder).Select(t => doc.Text.Substring(t.Start, t.Length)).ToArray();
        Assert.Equal(["@CAPS1", "@PERSON2", "@NUM1"], placeholders);
    }

    [Fact]
    public void Analyze_ContractionsAndReplacementApostrophes_StayOneWord()
    {
        var doc = Tokenizer.Analyze("I can't go. It isn\uFFFDt fair.");

        Assert.Contains("can't", doc.Lower);
        Assert.Contains("isn't", doc.Lower);
    }

    [Fact]
    public void Analyze_DecomposedAccents_StayInTheirWordAndAreLookedUpWithoutThem()
    {
        var doc = Tokenizer.Analyze("A nai\u0308ve cafe\u0301 owner.");

        var words = WordsOf(doc);
        Assert.Equal(["A", "nai\u0308ve", "cafe\u0301", "owner"], words);
        Assert.Contains("naive", doc.Lower);
        Assert.Contains("cafe", doc.Lower);
    }

    [Theory]
    [InlineData("coordi\u00ADnation", "coordination")]
    [InlineData("coordi\u200Bnation", "coordination")]
    [InlineData("coordi\u200Dnation", "coordination")]
    [InlineData("coordi\u2060nation", "coordination")]
    [InlineData("coordi\uFEFFnation", "coordination")]
    [InlineData("co\u00ADordi\u00ADna\u00ADtion", "coordination")]
    public void Analyze_SoftHyphenOrJoinerInsideAWord_StaysInItAndIsLookedUpWithout(string word, string lookup)
    {
        var doc = Tokenizer.Analyze("Hand-eye " + word + " matters.");

        var words = WordsOf(doc);
        Assert.Equal(["Hand-eye", word, "matters"], words);
        Assert.Contains(lookup, doc.Lower);
    }

    [Theory]
    [InlineData("\U0001D407ello", "hello")] // mathematical bold H
    [InlineData("\U0001D5C1\U0001D5BE\U0001D5C5\U0001D5C5\U0001D5C8", "hello")] // sans-serif, all letters
    [InlineData("\U0001D4BDello", "hello")] // script small h
    [InlineData("don't-\U0001D5BCare", "don't-care")] // after an apostrophe and a hyphen
    public void Analyze_MathAlphanumericLetters_KeptAsOneWordLookedUpAsAscii(string word, string lookup)
    {
        var doc = Tokenizer.Analyze("Say " + word + " now.");

        var words = WordsOf(doc);
        Assert.Equal(["Say", word, "now"], words);
        Assert.Contains(lookup, doc.Lower);
    }

    [Fact]
    public void Analyze_LetterOutsideTheBmp_StaysInItsWord()
    {
        var doc = Tokenizer.Analyze("We ate at \U00020BB7\u91CE\u5BB6 today.");

        var words = WordsOf(doc);
        Assert.Equal(["We", "ate", "at", "\U00020BB7\u91CE\u5BB6", "today"], words);
        Assert.Contains("\U00020BB7\u91CE\u5BB6", doc.Lower);
    }

    [Fact]
    public void Analyze_SoftHyphenAtTheEndOfAWord_IsNotPartOfIt()
    {
        var doc = Tokenizer.Analyze("A word\u00AD here.");

        var words = WordsOf(doc);
        Assert.Equal(["A", "word", "here"], words);
    }

    [Fact]
    public void Analyze_Abbreviation_DoesNotEndSentence()
    {
        var doc = Tokenizer.Analyze("Mr. Smith went home. He slept.");

        Assert.Equal(2, doc.Sentences.Count);
    }

    [Fact]
    public void Analyze_TokenSpans_PointIntoTheText()
    {
        const string text = "Hello, world. Spans work!";
        var doc = Tokenizer.Analyze(text);

        Assert.All(doc.Tokens, t => Assert.Equal(doc.Lower[doc.Tokens.IndexOf(t)], text.Substring(t.Start, t.Length).ToLowerInvariant()));
    }

    [Fact]
    public void Analyze_SpaceRunBeforeLowerCaseWord_NoParagraphBreak()
    {
        var doc = Tokenizer.Analyze("I am   patient   at school. We wait for books, music,          magazines and more.     New paragraph here.");

        Assert.Equal(3, doc.Sentences.Count);
        Assert.Equal(2, doc.ParagraphCount);
        Assert.Equal("I am   patient   at school.", doc.SentenceText(0));
    }

    [Theory]
    [InlineData("You can send emails around the globe... at no extra cost. It is fast.")]
    [InlineData("There are games called p.c. games for kids. It is fast.")]
    [InlineData("It said, \"the owners... realized how bad it was.\" It is fast.")]
    [InlineData("You can send emails around the globe\u2026 at no extra cost. It is fast.")]
    public void Analyze_EllipsisOrDottedAbbreviationBeforeLowerCase_SentenceGoesOn(string text)
    {
        Assert.Equal(2, Tokenizer.Analyze(text).Sentences.Count);
    }

    [Theory]
    [InlineData("I waited... Then it came.")]
    [InlineData("I waited\u2026 Then it came.")]
    [InlineData("I waited\u2026\u201d Then it came.")]
    public void Analyze_EllipsisBeforeCapital_EndsSentence(string text)
    {
        Assert.Equal(2, Tokenizer.Analyze(text).Sentences.Count);
    }

    [Theory]
    [InlineData("\"How are you?\" she asks. I am fine.")]
    [InlineData("\u201cHow are you?\u201d she asks. I am fine.")]
    [InlineData("\"Help!\" he cried. I am fine.")]
    [InlineData("\u2018Help!\u2019 he cried. I am fine.")]
    public void Analyze_QuotedQuestionOrExclamationBeforeLowerCase_DialogueTagContinuesTheSentence(string text)
    {
        var doc = Tokenizer.Analyze(text);

        Assert.Equal(2, doc.Sentences.Count);
        Assert.Equal("I am fine.", doc.SentenceText(1));
    }

    [Theory]
    [InlineData("\"I'm tired.\" she said. I am fine.")]
    [InlineData("\u201cI'm tired.\u201d she said. I am fine.")]
    [InlineData("\u2018I'm tired.\u2019 he whispered to me. I am fine.")]
    [InlineData("\"I'm tired,\" she said. I am fine.")]
    [InlineData("\"I'm tired.\" said Tom. I am fine.")]
    [InlineData("\"I'm tired.\" my Mom replied. I am fine.")]
    public void Analyze_QuotedStatementBeforeDialogueTag_TagContinuesTheSentence(string text)
    {
        var doc = Tokenizer.Analyze(text);

        Assert.Equal(2, doc.Sentences.Count);
        Assert.Equal("I am fine.", doc.SentenceText(1));
    }

    [Theory]
    [InlineData("We ran. \"Let's go!\"   she said. I am fine.")]
    [InlineData("We ran. \u201cWhere now?\u201d   she asked. I am fine.")]
    [InlineData("We ran. \"Stop.\"   he said. I am fine.")]
    [InlineData("We ran. \"Let's go,\"     she said. I am fine.")]
    public void Analyze_DialogueTagAfterRunOfSpaces_ContinuesTheSentenceAndParagraph(string text)
    {
        var doc = Tokenizer.Analyze(text);

        Assert.Equal(1, doc.ParagraphCount);
        Assert.Equal(3, doc.Sentences.Count);
        Assert.Matches("^.+ (she|he) (said|asked)\\.$", doc.SentenceText(1));
        Assert.Equal("I am fine.", doc.SentenceText(2));
    }

    [Theory]
    [InlineData("We ran. \"Stop.\"   we left anyway.")]
    [InlineData("We ran home.   then it rained.")]
    [InlineData("We ran. \"Let's go!\"\nshe said.")]
    public void Analyze_RunOfSpacesAfterSentenceNotBeforeDialogueTag_StillBreaksTheParagraph(string text)
    {
        Assert.Equal(2, Tokenizer.Analyze(text).ParagraphCount);
    }

    [Fact]
    public void Analyze_QuotedStatementBeforeLowerCaseNonTag_EndsTheSentence()
    {
        Assert.Equal(2, Tokenizer.Analyze("She told us \"no.\" we left anyway.").Sentences.Count);
    }

    [Theory]
    [InlineData("\u2029")]
    [InlineData("\u2028")]
    [InlineData("\v")]
    [InlineData("\f")]
    [InlineData("\u0085")]
    public void Analyze_OtherLineSeparators_BreakParagraphsAsNewlinesDo(string separator)
    {
        var doc = Tokenizer.Analyze("First paragraph here." + separator + "Second paragraph here");

        Assert.Equal(2, doc.ParagraphCount);
        Assert.Equal(2, doc.Sentences.Count);
    }

    [Theory]
    [InlineData("don\u02BCt")]
    [InlineData("don\u00B4t")]
    public void Analyze_ApostropheLookAlike_OneWordLookedUpWithAnApostrophe(string word)
    {
        var doc = Tokenizer.Analyze("I " + word + " know.");

        Assert.Equal(4, doc.Tokens.Count);
        Assert.Equal(word, doc.Surface(1));
        Assert.Equal("don't", doc.Lower[1]);
    }

    [Fact]
    public void Analyze_TypographicLigatures_WordsLookedUpInPlainLetters()
    {
        var doc = Tokenizer.Analyze("The e\uFB00ect was \uFB01ne, in\uFB02uential and su\uFB03cient.");

        Assert.Equal(["the", "effect", "was", "fine", ",", "influential", "and", "sufficient", "."], doc.Lower);
        Assert.Equal("e\uFB00ect", doc.Surface(1));
    }

    [Theory]
    [InlineData("\u2018")]
    [InlineData("`")]
    public void Analyze_LeftQuoteOrBacktickBetweenLetters_OneWordButAnOpeningQuoteStaysAQuote(string mark)
    {
        var doc = Tokenizer.Analyze("He said " + mark + "I don" + mark + "t know.\u2019");

        var words = WordsOf(doc);
        Assert.Equal(["He", "said", "I", "don" + mark + "t", "know"], words);
        Assert.Contains("don't", doc.Lower);
        Assert.Equal(mark, doc.Surface(2));
    }

    /// <summary>The text of each word token, in order.</summary>
    private static string[] WordsOf(EssayDocument doc) =>
        doc.Tokens.Where(t => t.Kind == TokenKind.Word).Select(t => doc.Text.Substring(t.Start, t.Length)).ToArray();
}
