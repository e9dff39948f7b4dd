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
    [InlineData("Yesterday i'm late.", "pronoun_i", "I'm")]
    [InlineData("Today i\u2019ll go.", "pronoun_i", "I'll")]
    [InlineData("So i've won.", "pronoun_i", "I've")]
    [InlineData("Then i'd go.", "pronoun_i", "I'd")]
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

    [Theory]
    [InlineData("@PERSON1 and I are just like any other couple.")]
    [InlineData("My class & I are going to the museum.")]
    [InlineData("My cousin @CAPS9 I are pretty close.")]
    [InlineData("He and she are friends.")]
    public void Check_PronounInCompoundSubject_NoAgreementError(string text)
    {
        Assert.DoesNotContain(Check(text), s => s.Rule == "agreement");
    }

    [Theory]
    [InlineData("How this benefits you is because you learn.")]
    [InlineData("All I will tell you is this, it was fun.")]
    [InlineData("People who want to use it don't understand.")]
    [InlineData("The ones that truly deserve it are removed.")]
    public void Check_ObjectPronounBeforeVerb_NoAgreementError(string text)
    {
        Assert.DoesNotContain(Check(text), s => s.Rule == "agreement");
    }

    [Theory]
    [InlineData("Does he have a first aid kit?")]
    [InlineData("Would he have become such a hit?")]
    [InlineData("Let it have some water.")]
    public void Check_InvertedQuestionOrBareInfinitive_NoAgreementError(string text)
    {
        Assert.DoesNotContain(Check(text), s => s.Rule == "agreement");
    }

    [Theory]
    [InlineData("Then if it is what you was expecting, read it.", "were")]
    [InlineData("Also you was patient.", "were")]
    [InlineData("They said it don't hurt. Then they was done.", "were")]
    [InlineData("The kind of bike i has was red.", "have")]
    [InlineData("More people like to go when they is on vacation.", "are")]
    public void Check_LoneSubjectPronoun_AgreementStillReported(string text, string replacement)
    {
        Assert.Contains(Check(text), s => s.Rule == "agreement" && s.Replacement == replacement);
    }

    [Theory]
    [InlineData("It explains how a U.S. Navy dirigible tried to dock.")]
    [InlineData("The geese fly in a u shape.")]
    [InlineData("She needs a UFO sighting.")]
    [InlineData("Kids look at the screen an their eyes get red.")]
    [InlineData("If you get it from a it might be wrong.")]
    [InlineData("We sat down an talked about school.")]
    [InlineData("We tell them an make them listen.")]
    public void Check_ArticleBeforeAcronymFunctionWordOrVerb_NoAAnError(string text)
    {
        Assert.DoesNotContain(Check(text), s => s.Rule == "a_an");
    }

    [Theory]
    [InlineData("I like cats an dogs.", "and")]
    [InlineData("We sell books an magazines.", "and")]
    [InlineData("He sat at the computer an teach himself to type.", null)] // "and" or "can": named, not offered
    [InlineData("We cooked rice an beans.", null)]
    [InlineData("She has an computer at home.", "a")]
    [InlineData("It would be an good thing.", "a")]
    [InlineData("The song contains an foul word.", "a")]
    public void Check_AnBeforeAConsonantWithTheModelsSyntax_AndWhereItReadsAsAndElseArticle(string text, string? replacement)
    {
        var output = new List<Suggestion>();
        var withoutModel = Check(text);

        GrammarChecker.Check(Tokenizer.Analyze(text), output, TestGrader.Instance.Model.Syntax);

        var hit = Assert.Single(output, s => s.Rule is "a_an" or "an_and");
        Assert.Equal(replacement, hit.Replacement);
        Assert.Equal(replacement == "a" ? "a_an" : "an_and", hit.Rule);
        Assert.Equal("an", text.Substring(hit.Start, hit.Length));
        // Either way one grammar hit: the counts the scoring features read do not depend on the model.
        Assert.Equal(withoutModel.Count(s => s.Category == "grammar"), output.Count(s => s.Category == "grammar"));
    }

    [Fact]
    public void Grade_CatsAnDogs_SuggestsAndNotAnArticle()
    {
        var result = TestGrader.Instance.Grade(new EssayRequest("My family has two cats an dogs at home. We love them very much.", 1));

        Assert.DoesNotContain(result.Suggestions, s => s.Rule == "a_an");
        var hit = Assert.Single(result.Suggestions, s => s.Rule == "an_and");
        Assert.Equal("and", hit.Replacement);
    }

    [Theory]
    [InlineData("First of all a oerson does not go to the library to get hurt.", false)]
    [InlineData("Then a nother example is the snake.", false)]
    [InlineData("It was a excellant day for a walk.", true)]
    public void Check_ArticleBeforeMisspelling_JudgedByTheCorrection(string text, bool expected)
    {
        var suggestions = TestGrader.Analyzer.Analyze(text).Suggestions;

        Assert.Equal(expected, suggestions.Any(s => s.Rule == "a_an"));
    }

    [Theory]
    [InlineData("We had to wait for a awil and I was tired.", false)] // "awol" or "will": the student meant "a while"
    [InlineData("It was a excellant day for a walk.", true)]
    [InlineData("He is going to get into a arguement with everybody.", true)]
    [InlineData("First of all a oerson does not go to the library to get hurt.", false)]
    public void Check_ArticleBeforeMisspellingWithTheModel_JudgedOnlyWhenTheCloseCandidatesAgreeOnTheSound(string text, bool expected)
    {
        var a = TestGrader.Analyzer.Spelling(text);

        EssayAnalyzer.Grammar(a, TestGrader.Instance.Model.Syntax);

        Assert.Equal(expected, a.Suggestions.Any(s => s.Rule == "a_an"));
    }

    [Theory]
    [InlineData("Dear Sir,\ncomputers are good for us.")]
    [InlineData("It was late...\nwe went home anyway.")]
    [InlineData("We have books, music,            magazines and more.")]
    [InlineData("He said \"... all of these cultures came together\" in his home.")]
    [InlineData("Most dirigibles... used hydrogen rather than helium.")]
    [InlineData("We watched t.v. shows all day.")]
    [InlineData("At 5 p.m. we went home.")]
    [InlineData("<p>Dear local newspaper, computers are good for us.</p>")]
    [InlineData("<div><p>Computers help us.</p></div>")]
    [InlineData("It was late\u2026\nwe went home anyway.")]
    [InlineData("\"How are you?\" she asks.")]
    [InlineData("\u201cHow are you?\u201d she asks.")]
    [InlineData("\"Stop!\" he yelled at us.")]
    [InlineData("\"I'm tired.\" she said.")]
    [InlineData("\u201cI'm tired.\u201d she said.")]
    [InlineData("We ran. \"Let's go!\"   she said.")]
    [InlineData("We ran. \"Stop.\"    he said.")]
    public void Check_LowerCaseInsideASentence_NoSentenceStartError(string text)
    {
        Assert.DoesNotContain(Check(text), s => s.Rule == "sentence_start");
    }

    [Theory]
    [InlineData("I wrote for (int i = 0; i < n; i++) to count them.")]
    [InlineData("Then x[i] = i + 1; works.")]
    [InlineData("I set i=2 and f(i) ran.")]
    public void Check_LoopVariableInCode_NotThePronoun(string text)
    {
        Assert.DoesNotContain(Check(text), s => s.Rule == "pronoun_i");
    }

    [Theory]
    [InlineData("My friend (and i) went.")]
    [InlineData("It was late; i went home.")]
    [InlineData("He and i went home.")]
    public void Check_LowerCaseIInProseNextToPunctuation_StillThePronoun(string text)
    {
        Assert.Contains(Check(text), s => s.Rule == "pronoun_i");
    }

    [Theory]
    [InlineData("It rained. i'm wet.", "I'm")]
    [InlineData("It rained. i\u2019ve got wet.", "I've")]
    public void Check_LowerCaseIContractionOpeningASentence_OnlyThePronounRule(string text, string replacement)
    {
        var hit = Assert.Single(Check(text), s => s.Category == "capitalization");

        Assert.Equal("pronoun_i", hit.Rule);
        Assert.Equal(replacement, hit.Replacement);
    }

    [Fact]
    public void Check_SpaceBeforeEllipsis_NotReported()
    {
        Assert.DoesNotContain(Check("As he talks about his ... parents, he smiles."), s => s.Category == "punctuation");
    }

    [Fact]
    public void Check_SpaceBeforeFullStopAndNoneAfter_FixAddsTheSpace()
    {
        const string text = "We got along since we met .in the end it was good.";

        var hit = Assert.Single(Check(text), s => s.Rule == "space_before_punctuation");
        var applied = text[..hit.Start] + hit.Replacement + text[(hit.Start + hit.Length)..];

        Assert.Equal("We got along since we met. in the end it was good.", applied);
    }

    [Fact]
    public void Check_HtmlEntitySemicolon_NoMissingSpace()
    {
        Assert.DoesNotContain(Check("He says to me &lt;hey you are funny&gt;. I said &lt;no&gt;they laughed."), s => s.Rule == "missing_space");
    }

    [Theory]
    [InlineData("Computers help us learn. Thank you for reading my letter.\nSincerely, Maria")]
    [InlineData("Computers help us learn. Thank you for reading my letter.\nSincerely,\nMaria Lopez")]
    [InlineData("Computers help us learn. Thank you for reading. Sincerely @PERSON1")]
    [InlineData("Computers help us learn. Thank you for reading.\nYours truly,\nMr. @CAPS1")]
    [InlineData("Computers help us learn. Thank you for reading.\nRespectfully yours,\nJohn Smith")]
    [InlineData("Computers help us learn. Thank you for reading.\nThanks again,\n@PERSON1 @PERSON2")]
    [InlineData("Computers help us learn. Thank you for reading.\nSincerly,\n@PERSON1")]
    [InlineData("Computers help us learn. Thank you for reading. Sincerly @PERSON1")]
    [InlineData("Computers help us learn. Thank you for reading.\nYours truely,\nMaria Lopez")]
    [InlineData("Computers help us learn. Thank you for reading.\nRespectfuly,\nMaria Lopez")]
    public void Check_LetterEndingWithSignOff_NoMissingFinalPunctuation(string text) =>
        Assert.DoesNotContain(Check(text), s => s.Rule == "missing_final_punctuation");

    [Theory]
    [InlineData("Computers help us learn. Thank you for reading my letter")]
    [InlineData("Computers help us learn. From my point of view they are good")]
    [InlineData("Computers help us learn.\nSincerely, Maria\nand all my friends at school")]
    [InlineData("Computers help us learn. I am sincere")]
    [InlineData("Computers help us learn.\nSincere people tell the truth")]
    public void Check_SentenceThatOnlyLooksLikeASignOff_MissingFinalPunctuation(string text) =>
        Assert.Contains(Check(text), s => s.Rule == "missing_final_punctuation");
}
