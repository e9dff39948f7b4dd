using Sluice.Grading.Data;
using Sluice.Grading.Scoring;
using Sluice.Grading.Training;
using Sluice.Testing;
using Xunit.Abstractions;

namespace Sluice.Grading.Tests.Training;

public sealed class GraderTrainerTests(ITestOutputHelper output)
{
    [SharedDataFact("data/asap/essays/prompt3.tsv", "data/asap/folds/fold_0/train_ids.txt")]
    public void Train_OneFoldTwoPrompts_IsReproducibleAndGeneralises()
    {
        var data = new AsapDataset(Path.GetDirectoryName(Path.GetDirectoryName(SharedDataFactAttribute.RequirePath("data/asap/essays/prompt3.tsv")))!);
        var trainer = new GraderTrainer(TestGrader.Analyzer, new TrainingOptions());
        var essays = new[] { 3, 4 }.SelectMany(data.LoadPrompt).ToList();
        var trainIds = data.LoadFold(0, "train");
        trainIds.UnionWith(data.LoadFold(0, "dev"));
        var testIds = data.LoadFold(0, "test");
        var prepared = trainer.Prepare(essays);
        var train = prepared.Where(e => trainIds.Contains(e.Essay.Id)).ToList();

        var a = Path.GetTempFileName();
        var b = Path.GetTempFileName();
        try
        {
            ModelStore.Save(trainer.Train(train, "test"), a);
            ModelStore.Save(trainer.Train(train, "test"), b);
            Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));

            var grader = new EssayGrader(ModelStore.Load(a), TestGrader.Analyzer);
            foreach (var p in new[] { 3, 4 })
            {
                var test = prepared.Where(e => e.Essay.Prompt == p && testIds.Contains(e.Essay.Id)).ToList();
                var predicted = test.Select(e => grader.ScoreForEvaluation(e.Essay.Text, p)[0]).ToArray();
                var qwk = Qwk.Compute(predicted, test.Select(e => e.Essay.Score).ToArray(), 0, 3);
                output.WriteLine($"prompt {p}: QWK {qwk:0.000} on {test.Count} held-out essays");
                Assert.True(qwk >= 0.7, $"prompt {p} QWK {qwk:0.000}");
            }
        }
        finally
        {
            File.Delete(a);
            File.Delete(b);
        }
    }
}
