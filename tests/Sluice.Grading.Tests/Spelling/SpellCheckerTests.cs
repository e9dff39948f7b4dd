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
}
