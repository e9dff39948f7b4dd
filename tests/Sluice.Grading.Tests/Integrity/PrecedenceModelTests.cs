using Sluice.Grading.Integrity;
using Sluice.Grading.Text;

namespace Sluice.Grading.Tests.Integrity;

public sealed class PrecedenceModelTests
{
    private const string Essay =
        "First, a dog ran into our yard. Then the dog barked at @PERSON1. He laughed at it. Second, @PERSON2 came home. Finally, we kept the dog.";

    [Fact]
    public void Scores_CommittedModel_Antisymmetric()
    {
        var doc = Tokenizer.Analyze(Essay);
        var m = TestGrader.Instance.Model.SharedOrder.Precedence.Scores(doc, doc.Sentences.Count);

        for (var a = 0; a < doc.Sentences.Count; a++)
        {
            Assert.Equal(0, m[a, a]);
            for (var b = 0; b < doc.Sentences.Count; b++)
            {
                Assert.Equal(-m[b, a], m[a, b], 12);
            }
        }
    }

    [Fact]
    public void DirectedKeys_IntroducedThenDefinite_KeysDifferByDirection()
    {
        var cues = PairModel.Cues(Tokenizer.Analyze(Essay), 2);
        var forward = new List<string>();
        var backward = new List<string>();

        PrecedenceModel.DirectedKeys(cues[0], cues[1], forward);
        PrecedenceModel.DirectedKeys(cues[1], cues[0], backward);

        // "a dog" … "the dog" forwards, "the dog" … "a dog" backwards.
        Assert.Contains("sd|at", forward);
        Assert.Contains("sd|ta", backward);
        Assert.Contains("ff|first|then", forward);
    }
}
