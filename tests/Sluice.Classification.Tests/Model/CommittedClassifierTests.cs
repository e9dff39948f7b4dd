using Sluice.Classification.Model;
using Sluice.Classification.Serving;
using Sluice.Classification.Training;
using Sluice.Testing;

namespace Sluice.Classification.Tests.Model;

public sealed class CommittedClassifierTests
{
    /// <summary>The version <c>./sluice classifier train</c> gives the UCI sentiment data with the default settings.</summary>
    private const string CommittedVersion = "clf-8a2a6ee75911";

    [Fact]
    public void Weights_EmbeddedInTheBuild_TheUciSentimentModel()
    {
        var weights = CommittedClassifier.Weights;

        Assert.Equal(CommittedVersion, weights.Version);
        Assert.Equal(["0", "1"], weights.Labels);
        Assert.StartsWith("amazon_cells_labelled.txt,imdb_labelled.txt,yelp_labelled.txt", weights.TrainedOn, StringComparison.Ordinal);
    }

    [SharedDataFact("data/sentiment/amazon_cells_labelled.txt", "data/sentiment/imdb_labelled.txt", "data/sentiment/yelp_labelled.txt")]
    public void Train_UciSentimentDefaultSettings_ReproducesTheCommittedFileByteForByte()
    {
        // The settings of ./sluice classifier train without options: 10 epochs, the server's seed.
        var (examples, source) = LabelledTextReader.Read(SharedDataFactAttribute.RequirePath("data/sentiment"));

        var result = ClassifierTrainer.Train(examples, source, new TrainingSettings { Epochs = 10, Seed = new ClassificationOptions().Seed });

        Assert.Equal(CommittedClassifier.ReadBytes(), ClassifierFile.Serialize(result.Model));
    }

    [Fact]
    public void Infer_EmptyModelDirAndCommittedModelOff_UntrainedAsBefore()
    {
        var dir = Directory.CreateTempSubdirectory("sluice-clf-empty-").FullName;
        try
        {
            using var model = new TextClassifierModel(new ClassificationOptions { ModelDir = dir, UseCommittedModel = false }, new ClassifierReloadSignal(), TimeProvider.System);

            Assert.Null(model.ServedVersion);
            Assert.Equal("untrained", model.Descriptor.Version);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
