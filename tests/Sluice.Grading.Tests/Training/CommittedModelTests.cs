using Sluice.Grading.Data;
using Sluice.Grading.Tests.Robustness;
using Sluice.Testing;
using Xunit.Abstractions;

namespace Sluice.Grading.Tests.Training;

/// <summary>
/// The committed model was trained on fold-0 train+dev; its fold-0 test split is held out, so grading it measures
/// real generalisation through the full grading path (integrity checks included).
/// </summary>
public sealed class CommittedModelTests(ITestOutputHelper output)
{
    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void CommittedModel_HeldOutFold0_ReachesQwkTargets()
    {
        var essays = HeldOutEssays.All;
        var predictions = new int[essays.Count][];
        Parallel.For(0, essays.Count, i => predictions[i] = TestGrader.Instance.ScoreForEvaluation(essays[i].Text, essays[i].Prompt));

        var holistic = new List<double>();
        var traits = new List<double>();
        for (var p = 1; p <= 8; p++)
        {
            var scale = PromptScale.Get(p);
            var idx = Enumerable.Range(0, essays.Count).Where(i => essays[i].Prompt == p).ToArray();
            var q = Sluice.Grading.Training.Qwk.Compute(idx.Select(i => predictions[i][0]).ToArray(), idx.Select(i => essays[i].Score).ToArray(), scale.Min, scale.Max);
            holistic.Add(q);
            var withTraits = idx.Where(i => essays[i].Traits is not null).ToArray();
            var perTrait = Enumerable.Range(0, scale.Traits.Count).Select(t => Sluice.Grading.Training.Qwk.Compute(
                withTraits.Select(i => predictions[i][t + 1]).ToArray(), withTraits.Select(i => essays[i].Traits![t]).ToArray(), scale.Traits[t].Min, scale.Traits[t].Max)).ToArray();
            traits.Add(perTrait.Average());
            output.WriteLine($"prompt {p}: holistic QWK {q:0.000}, trait mean {perTrait.Average():0.000} ({idx.Length} essays)");
        }

        output.WriteLine($"average holistic {holistic.Average():0.000}, traits {traits.Average():0.000}");
        Assert.True(holistic.Average() >= 0.75, $"average holistic QWK {holistic.Average():0.000} < 0.75");
        Assert.True(traits.Average() >= 0.65, $"average trait QWK {traits.Average():0.000} < 0.65");
    }
}
