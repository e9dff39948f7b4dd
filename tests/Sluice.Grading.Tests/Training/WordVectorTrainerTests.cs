using Sluice.Grading.Integrity;
using Sluice.Grading.Text;
using Sluice.Grading.Training;

namespace Sluice.Grading.Tests.Training;

public sealed class WordVectorTrainerTests
{
    /// <summary>
    /// Two topics whose words share sentences only within their topic; "puppy" and "dog" never share a sentence with each
    /// other, only with the same neighbours (bark, leash, tail), so only a second-order (LSA) similarity relates them.
    /// </summary>
    private static List<EssayDocument> Corpus()
    {
        string[][] topics =
        [
            ["bark", "leash", "tail", "walked", "fetch"],
            ["pedal", "wheel", "helmet", "ride", "chain"],
        ];
        string[] subjects = ["dog", "puppy", "bike", "bicycle"];
        var rng = new Random(5);
        var docs = new List<EssayDocument>();
        for (var e = 0; e < 60; e++)
        {
            var sentences = new List<string>();
            for (var s = 0; s < 6; s++)
            {
                var subject = subjects[rng.Next(subjects.Length)];
                var words = topics[subject is "dog" or "puppy" ? 0 : 1];
                sentences.Add($"The {subject} {words[rng.Next(5)]} {words[rng.Next(5)]} today.");
            }

            docs.Add(Tokenizer.Analyze(string.Join(" ", sentences)));
        }

        return docs;
    }

    [Fact]
    public void Train_SameEssaysAndSeed_IdenticalVectors()
    {
        var a = new WordVectorTrainer(100, 4, 2012).Train(Corpus());
        var b = new WordVectorTrainer(100, 4, 2012).Train(Corpus());

        Assert.Equal(a.Words, b.Words);
        Assert.Equal(a.Vectors, b.Vectors);
        Assert.Equal(a.Weights, b.Weights);
    }

    [Fact]
    public void Train_WordsSharingContexts_CloserThanWordsOfAnotherTopic()
    {
        var model = new WordVectorTrainer(100, 4, 2012).Train(Corpus());

        var related = model.WordCosine("dog", "puppy")!.Value;
        var unrelated = model.WordCosine("dog", "bike")!.Value;

        Assert.True(related > unrelated + 0.5, $"dog~puppy {related:0.00}, dog~bike {unrelated:0.00}");
        Assert.True(model.WordCosine("pedal", "helmet") > model.WordCosine("pedal", "leash"));
    }

    [Fact]
    public void Train_FunctionWords_GetNoVector()
    {
        var model = new WordVectorTrainer(100, 4, 2012).Train(Corpus());

        Assert.DoesNotContain("the", model.Words);
        Assert.Null(model.WordCosine("the", "dog"));
    }
}
