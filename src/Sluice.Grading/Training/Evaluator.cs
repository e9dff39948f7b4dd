using Sluice.Grading.Data;
using Sluice.Grading.Scoring;

namespace Sluice.Grading.Training;

/// <summary>
/// Runs the standard 5-fold protocol (train on train+dev, test on test) and leave-one-prompt-out for the
/// prompt-independent model. Essays are analysed once and shared by every fold.
/// </summary>
internal sealed class Evaluator(AsapDataset data, GraderTrainer trainer, Func<GradingModel, Func<PreparedEssay, int[]>>? scorerFactory = null)
{
    public EvaluationReport Run(IReadOnlyList<int> folds, IReadOnlyList<int> prompts, bool leaveOneOut, Action<string> log)
    {
        var report = new EvaluationReport();
        report.Folds.AddRange(folds);
        var essays = prompts.SelectMany(data.LoadPrompt).ToList();
        log($"analysing {essays.Count} essays …");
        var prepared = trainer.Prepare(essays);
        var byId = prepared.ToDictionary(e => e.Essay.Id);
        foreach (var fold in folds)
        {
            var trainIds = data.LoadFold(fold, "train");
            trainIds.UnionWith(data.LoadFold(fold, "dev"));
            var testIds = data.LoadFold(fold, "test");
            var train = prepared.Where(e => trainIds.Contains(e.Essay.Id)).ToList();
            var test = prepared.Where(e => testIds.Contains(e.Essay.Id)).ToList();
            var model = trainer.Train(train, $"fold {fold}");
            var score = scorerFactory?.Invoke(model) ?? (e => DirectScore(model, e));
            var predictions = new int[test.Count][];
            Parallel.For(0, test.Count, i => predictions[i] = score(test[i]));
            foreach (var p in prompts)
            {
                var scale = PromptScale.Get(p);
                var idx = Enumerable.Range(0, test.Count).Where(i => test[i].Essay.Prompt == p).ToArray();
                var h = Qwk.Compute(idx.Select(i => predictions[i][0]).ToArray(), idx.Select(i => test[i].Essay.Score).ToArray(), scale.Min, scale.Max);
                report.AddHolistic(p, h);
                for (var t = 0; t < scale.Traits.Count; t++)
                {
                    var withTraits = idx.Where(i => test[i].Essay.Traits is not null).ToArray();
                    var q = Qwk.Compute(withTraits.Select(i => predictions[i][t + 1]).ToArray(), withTraits.Select(i => test[i].Essay.Traits![t]).ToArray(), scale.Traits[t].Min, scale.Traits[t].Max);
                    report.AddTrait(p, scale.Traits[t].Key, q);
                }

                log($"fold {fold} prompt {p}: holistic QWK {h:0.000} ({idx.Length} test essays)");
            }
        }

        if (leaveOneOut && prompts.Count > 1)
        {
            foreach (var p in prompts)
            {
                var scale = PromptScale.Get(p);
                var train = prepared.Where(e => e.Essay.Prompt != p).ToList();
                var test = prepared.Where(e => e.Essay.Prompt == p).ToList();
                var model = trainer.Train(train, $"all but prompt {p}");
                var predicted = test.Select(e => GenericScore(model.Generic, e.Features, scale)).ToArray();
                var q = Qwk.Compute(predicted, test.Select(e => e.Essay.Score).ToArray(), scale.Min, scale.Max);
                report.LeaveOneOut[p] = q;
                log($"leave-one-prompt-out {p}: QWK {q:0.000}");
            }
        }

        return report;
    }

    /// <summary>A normalized prediction mapped onto the prompt's own integer scale.</summary>
    public static int GenericScore(GenericModel model, double[] features, PromptScale scale) =>
        (int)Math.Round(scale.Min + (model.Predict(features) * (scale.Max - scale.Min)));

    private static int[] DirectScore(GradingModel model, PreparedEssay e)
    {
        var pm = model.ForPrompt(e.Essay.Prompt)!;
        var f = Features.FeatureExtractor.WithProfile(e.Features, e.Doc, pm.Profile);
        return EssayScorer.Score(pm, f, e.Ngrams).Scores;
    }
}
