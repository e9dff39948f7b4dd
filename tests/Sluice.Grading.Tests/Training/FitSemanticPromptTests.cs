using Sluice.Grading.Integrity;
using Sluice.Grading.Text;
using Sluice.Grading.Training;

namespace Sluice.Grading.Tests.Training;

public sealed class FitSemanticPromptTests
{
    /// <summary>Essays that open about dogs, go on about the weather and close about bikes.</summary>
    private static List<EssayDocument> Corpus()
    {
        string[] dogs = ["dog", "puppy", "bark", "leash", "tail"];
        string[] weather = ["rain", "cloud", "storm", "wind", "sunny"];
        string[] bikes = ["bike", "pedal", "wheel", "helmet", "chain"];
        var rng = new Random(11);
        string Sentence(string[] words) => $"The {words[rng.Next(5)]} and {words[rng.Next(5)]} {words[rng.Next(5)]} stayed.";
        var docs = new List<EssayDocument>();
        for (var e = 0; e < 80; e++)
        {
            var sentences = new List<string> { Sentence(dogs) };
            for (var s = 0; s < 4; s++)
            {
                sentences.Add(Sentence(weather));
            }

            sentences.Add(Sentence(bikes));
            docs.Add(Tokenizer.Analyze(string.Join(" ", sentences)));
        }

        return docs;
    }

    [Fact]
    public void FitSemanticPrompt_TopicsInFixedPlaces_LearnsOpenerCloserAndPosition()
    {
        var docs = Corpus();
        var semantic = new WordVectorTrainer(100, 6, 2012).Train(docs);
        var model = new OrderTrainer(new TrainingOptions()).FitSemanticPrompt(docs, semantic);
        float[] Unit(string text) => OrderFeatures.Normalized(semantic.SentenceVectors(Tokenizer.Analyze(text), 1)[0]);
        var dog = Unit("The puppy wagged its tail.");
        var bike = Unit("The bike had a new chain.");

        static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

        Assert.True(Dot(model.First, dog) > Dot(model.First, bike), "openers are about dogs");
        Assert.True(Dot(model.Last, bike) > Dot(model.Last, dog), "closers are about bikes");
        Assert.True(model.PredictPosition(bike) > model.PredictPosition(dog) + 0.3, $"bike {model.PredictPosition(bike):0.00}, dog {model.PredictPosition(dog):0.00}");
    }
}
