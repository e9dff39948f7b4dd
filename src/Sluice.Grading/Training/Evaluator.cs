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
                var test = prepared.Where(e => e.Essay.Prompt == p).ToList();
                var predicted = LeaveOnePromptOut(prepared.Where(e => e.Essay.Prompt != p).ToList(), test, trainer.Options.HeadLambda)
                    .Select(v => (int)Math.Round(scale.Min + (v * (scale.Max - scale.Min)))).ToArray();
                var q = Qwk.Compute(predicted, test.Select(e => e.Essay.Score).ToArray(), scale.Min, scale.Max);
                report.LeaveOneOut[p] = q;
                log($"leave-one-prompt-out {p}: QWK {q:0.000}");
            }
        }

        return report;
    }

    /// <summary>
    /// Prompt-independent scoring of an unseen prompt: prompt-independent features are standardized within each
    /// prompt's own essays (for the unseen prompt: its unlabelled essays, no scores used), a ridge model learned on the
    /// other prompts maps them to the normalized 0–1 score.
    /// </summary>
    public static double[] LeaveOnePromptOut(IReadOnlyList<PreparedEssay> train, IReadOnlyList<PreparedEssay> test, double lambda)
    {
        // Without the paragraph features, as the served prompt-independent model (ASAP kept paragraphs in two prompts only).
        var idx = Features.FeatureExtractor.PromptIndependentIndices.Where(i => Array.IndexOf(Features.FeatureExtractor.ParagraphIndices, i) < 0).ToArray();
        double[][] Standardize(IReadOnlyList<PreparedEssay> essays)
        {
            var rows = essays.Select(e => idx.Select(i => e.Features[i]).ToArray()).ToArray();
            var d = idx.Length;
            var result = new double[rows.Length][];
            for (var r = 0; r < rows.Length; r++)
            {
                result[r] = new double[d];
            }

            foreach (var group in Enumerable.Range(0, essays.Count).GroupBy(i => essays[i].Essay.Prompt))
            {
                var members = group.ToArray();
                for (var j = 0; j < d; j++)
                {
                    var mean = members.Average(i => rows[i][j]);
                    var sd = Math.Sqrt(members.Average(i => (rows[i][j] - mean) * (rows[i][j] - mean)));
                    foreach (var i in members)
                    {
                        result[i][j] = sd == 0 ? 0 : Math.Clamp((rows[i][j] - mean) / sd, -6, 6);
                    }
                }
            }

            return result;
        }

        var x = Standardize(train);
        var y = train.Select(e => PromptScale.Get(e.Essay.Prompt).Normalize(e.Essay.Score)).ToList();
        var (w, b) = Ridge.Fit(x, y, lambda);
        return [.. Standardize(test).Select(r => Math.Clamp(Ridge.Predict(r, w, b), 0, 1))];
    }

    /// <summary>A normalized prediction mapped onto the prompt's own integer scale.</summary>
    public static int GenericScore(GenericModel model, double[] features, PromptScale scale) =>
        (int)Math.Round(scale.Min + (model.Predict(features) * (scale.Max - scale.Min)));

    private static int[] DirectScore(GradingModel model, PreparedEssay e)
    {
        var pm = model.ForPrompt(e.Essay.Prompt)!;
        var f = Features.FeatureExtractor.WithProfile(e.Features, e.ScoringDoc, pm.Profile);
        return EssayScorer.Score(pm, f, e.Ngrams).Scores;
    }
}
