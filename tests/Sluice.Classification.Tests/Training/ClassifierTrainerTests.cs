using Sluice.Classification.Model;
using Sluice.Classification.Training;
using Sluice.Testing;

namespace Sluice.Classification.Tests.Training;

public sealed class ClassifierTrainerTests
{
    private static readonly TrainingSettings s_small = new() { Epochs = 5, Bits = 14 };

    [Fact]
    public void Train_SameDataAndSettingsTwice_SameWeightsAndVersion()
    {
        var data = SyntheticSentiment.Examples(400);

        var a = ClassifierTrainer.Train(data, "synthetic", s_small);
        var b = ClassifierTrainer.Train(data, "synthetic", s_small);

        Assert.Equal(ClassifierFile.Serialize(a.Model), ClassifierFile.Serialize(b.Model));
        Assert.Equal(a.Model.Version, b.Model.Version);
        Assert.StartsWith("clf-", a.Model.Version, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_OtherEpochsOrData_OtherVersion()
    {
        var data = SyntheticSentiment.Examples(200);

        var five = ClassifierTrainer.Train(data, "synthetic", s_small).Model.Version;
        var six = ClassifierTrainer.Train(data, "synthetic", s_small with { Epochs = 6 }).Model.Version;
        var other = ClassifierTrainer.Train(SyntheticSentiment.Examples(200, seed: 2), "synthetic", s_small).Model.Version;

        Assert.NotEqual(five, six);
        Assert.NotEqual(five, other);
    }

    [Fact]
    public void Train_Epochs_LossDecreasesAndEveryEpochIsReported()
    {
        var reports = new List<EpochReport>();

        var result = ClassifierTrainer.Train(SyntheticSentiment.Examples(400), "synthetic", s_small, reports.Add);

        Assert.Equal([1, 2, 3, 4, 5], reports.Select(r => r.Epoch));
        Assert.True(reports[^1].Loss < reports[0].Loss, $"loss {reports[0].Loss} -> {reports[^1].Loss}");
        Assert.True(result.Accuracy >= 0.95, $"held-out accuracy {result.Accuracy} on separable synthetic data");
        Assert.Equal(80, result.TestExamples);
        Assert.Equal(320, result.TrainExamples);
    }

    [Fact]
    public void Train_CancelledAfterAnEpoch_StopsBeforeTheNext()
    {
        using var cts = new CancellationTokenSource();
        var epochs = 0;

        Assert.Throws<OperationCanceledException>(() => ClassifierTrainer.Train(SyntheticSentiment.Examples(100), "synthetic", s_small, _ =>
        {
            epochs++;
            cts.Cancel();
        }, cts.Token));
        Assert.Equal(1, epochs);
    }

    [SharedDataFact("data/sentiment/amazon_cells_labelled.txt", "data/sentiment/imdb_labelled.txt", "data/sentiment/yelp_labelled.txt")]
    public void Train_UciSentimentSeeded80Percent_HeldOutAccuracyAtLeast80Percent()
    {
        var (examples, source) = LabelledTextReader.Read(SharedDataFactAttribute.RequirePath("data/sentiment"));
        var reports = new List<EpochReport>();

        var result = ClassifierTrainer.Train(examples, source, new TrainingSettings { Epochs = 10 }, reports.Add);

        Assert.Equal(3000, examples.Count);
        Assert.Equal(600, result.TestExamples);
        // Logistic n-gram baselines reach about 80 to 85 % on these sentences.
        Assert.True(result.Accuracy >= 0.80, $"held-out accuracy {result.Accuracy:P1} (83.0 % when written); per epoch: {string.Join(", ", reports.Select(r => $"{r.Loss:F3}/{r.Accuracy:P1}"))}");
        Assert.True(reports[^1].Loss < reports[0].Loss);
    }
}
