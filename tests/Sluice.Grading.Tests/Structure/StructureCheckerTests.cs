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
        var text = string.Join(' ', Enumerable.Range(0, 12).Select(i => $"This is a good idea number {i} for people.")) + " However, it works.";

        var hit = Assert.Single(Check(text), s => s.Rule == "repeated_word_choice" && s.Message.Contains("\"good\""));
        Assert.Equal("beneficial", hit.Replacement);
    }
}
