using Sluice.Grading.Structure;
using Sluice.Grading.Text;

namespace Sluice.Grading.Tests.Structure;

public sealed class StructureCheckerTests
{
    private static List<Suggestion> Check(string text)
    {
        var output = new List<Suggestion>();
        StructureChecker.Check(Tokenizer.Analyze(text), output);
        return output;
    }

    [Fact]
    public void Check_LongSentence_Reported()
    {
        var sentence = string.Join(' ', Enumerable.Range(0, 45).Select(i => i % 2 == 0 ? "students" : "learn")) + ".";

        Assert.Contains(Check(sentence), s => s.Rule == "long_sentence" && s.Start == 0);
    }

    [Fact]
    public void Check_OneBlockOfText_SuggestsParagraphs()
    {
        var text = string.Concat(Enumerable.Repeat("Computers are useful for school work and research. ", 30));

        Assert.Contains(Check(text), s => s.Rule == "paragraphing");
    }

    [Fact]
    public void Check_NoTransitions_Reported()
    {
        var text = string.Join(' ', Enumerable.Range(0, 8).Select(i => $"Sentence number {i} says something about dogs."));

        Assert.Contains(Check(text), s => s.Rule == "weak_transitions");
    }

    [Fact]
    public void Check_OverusedWord_SuggestsAlternative()
    {
        var text = string.Join(' ', Enumerable.Range(0, 20).Select(i => $"Some people like number {i}.")) + " However, it works.";

        var hit = Assert.Single(Check(text), s => s.Rule == "repeated_word_choice" && s.Message.Contains("\"people\""));
        Assert.Equal("individuals", hit.Replacement);
    }

    [Fact]
    public void Check_OverusedWordWithSenseDependentAlternative_HintWithoutReplacement()
    {
        var text = string.Join(' ', Enumerable.Range(0, 12).Select(i => $"Students need help with task number {i} today.")) + " However, it works.";

        var hit = Assert.Single(Check(text), s => s.Rule == "repeated_word_choice" && s.Message.Contains("\"help\""));
        Assert.Contains("assist", hit.Message);
        Assert.Null(hit.Replacement); // "need help" → "need assist" would be wrong
    }

    [Fact]
    public void Check_OverusedWordAtSentenceStart_ReplacementKeepsTheCapital()
    {
        var text = string.Join(' ', Enumerable.Range(0, 20).Select(i => $"People like number {i}.")) + " However, it works.";

        var hit = Assert.Single(Check(text), s => s.Rule == "repeated_word_choice" && s.Message.Contains("\"people\""));
        Assert.Equal("Individuals", hit.Replacement);
    }

    [Fact]
    public void Check_PromptTopicWord_NotReportedAsOverused()
    {
        var text = string.Join(' ', Enumerable.Range(0, 12).Select(i => $"The dirigible number {i} could not dock today.")) + " However, it works.";
        var profile = new Sluice.Grading.Features.PromptProfile(6, ["dirigible", "dock"], [1f, 1f]);
        var output = new List<Suggestion>();

        StructureChecker.Check(Tokenizer.Analyze(text), output, profile);

        Assert.Contains(Check(text), s => s.Rule == "repeated_word_choice" && s.Message.Contains("\"dirigible\""));
        Assert.DoesNotContain(output, s => s.Rule == "repeated_word_choice" && s.Message.Contains("\"dirigible\""));
    }

    [Fact]
    public void Check_OverusedMisspelledWord_OnlyTheSpellingSuggestion()
    {
        var text = string.Join(' ', Enumerable.Range(0, 12).Select(i => $"We saw a differnt idea number {i} today.")) + " However, it works.";

        var suggestions = TestGrader.Analyzer.Analyze(text).Suggestions;

        Assert.Contains(suggestions, s => s.Category == "spelling");
        Assert.DoesNotContain(suggestions, s => s.Rule == "repeated_word_choice" && s.Message.Contains("differnt"));
    }

    [Fact]
    public void Check_ShortenedSentenceSpan_NeverSplitsASurrogatePair()
    {
        // Each paragraph opens with 59 characters and then an emoji, so a 60-character span would end inside it.
        var opening = "My friends and I went to the park near our house after clas" + "\U0001F600 and we played.";
        var text = "It was a good day. " + string.Join("\n", Enumerable.Range(0, 6).Select(_ => opening + " It was fun."));

        var spans = Check(text).Where(s => s.Rule is "paragraph_transition" or "weak_transitions").ToList();

        Assert.NotEmpty(spans);
        Assert.All(spans, s => Assert.False(char.IsHighSurrogate(text[s.Start + s.Length - 1]), $"{s.Rule} ends inside a surrogate pair"));
    }

    [Fact]
    public void Check_ShortenedSentenceSpan_KeepsCombiningAccentsWithTheirLetter()
    {
        // Each paragraph opens with 60 characters, the last an "e" whose accent (U+0301) comes next: a 60-character span
        // would leave the accent outside it.
        var opening = "My friends and I went to the park near our houses, with Jose\u0301 and we played.";
        var text = "It was a good day. " + string.Join("\n", Enumerable.Range(0, 6).Select(_ => opening + " It was fun."));

        var spans = Check(text).Where(s => s.Rule is "paragraph_transition" or "weak_transitions").ToList();

        Assert.NotEmpty(spans);
        Assert.All(spans, s => Assert.False(Tokenizer.IsCombiningMark(text[s.Start + s.Length]), $"{s.Rule} leaves an accent outside its span"));
    }

    [Fact]
    public void Check_DialogueAndSignOffParagraphs_NoTransitionSuggestion()
    {
        const string text = "My dad called me from work that night. He sounded tired and sad.\n" +
            "\"I need to come home,\" he said through the phone.\n" +
            "\"Why?\" I asked him. He did not answer me.\n" +
            "We waited up for him until midnight. He came home at last.\n" +
            "Sincerely,\n" +
            "THE END.";

        var reported = Check(text).Where(s => s.Rule == "paragraph_transition").Select(s => text.Substring(s.Start, s.Length)).ToList();

        Assert.Equal(["We waited up for him until midnight."], reported);
    }

    [Fact]
    public void Check_LetterFrame_NoTransitionSuggestionForBodyOpenerSignOffOrName()
    {
        const string text = "Dear Local Newspaper,\n" +
            "I think computers help people learn. They can find facts fast.\n" +
            "Some people spend too long online. They should go outside more.\n" +
            "Yours truly,\n" +
            "Maria Lopez";

        var reported = Check(text).Where(s => s.Rule == "paragraph_transition").Select(s => text.Substring(s.Start, s.Length)).ToList();

        Assert.Equal(["Some people spend too long online."], reported);
    }
}
