using Sluice.Grading.Data;
using Sluice.Grading.Integrity;
using Sluice.Grading.Text;
using Sluice.Grading.Training;
using Sluice.Testing;
using Xunit.Abstractions;

namespace Sluice.Grading.Tests.Robustness;

public sealed class ScratchOrderExperiment(ITestOutputHelper output)
{
    [SharedDataFact("data/asap/essays/prompt1.tsv")]
    public void Scratch()
    {
        var root = Path.GetDirectoryName(Path.GetDirectoryName(SharedDataFactAttribute.RequirePath("data/asap/essays/prompt1.tsv")))!;
        var data = new AsapDataset(root);
        var ids = data.LoadFold(0, "train").Union(data.LoadFold(0, "dev")).ToHashSet();
        var all = Enumerable.Range(1, 8).SelectMany(data.LoadPrompt).ToList();
        var train = all.Where(e => ids.Contains(e.Id)).Select(e => new PreparedEssay(e, Tokenizer.Analyze(e.Text), [], new())).ToList();
        var opts = new TrainingOptions
        {
            PositionLambda = double.Parse(Environment.GetEnvironmentVariable("PL") ?? "10"),
            PositionKeys = int.Parse(Environment.GetEnvironmentVariable("PK") ?? "1000"),
            OrderShuffles = int.Parse(Environment.GetEnvironmentVariable("OS") ?? "2"),
        };
        var trainer = new GraderTrainer(null!, opts);
        var byPrompt = train.GroupBy(e => e.Essay.Prompt).ToDictionary(g => g.Key, g => g.ToList());
        var profiles = trainer.BuildProfiles(byPrompt);
        var models = new OrderModel[9];
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Parallel.For(1, 9, p => models[p] = new OrderTrainer(opts).Train(p, [.. byPrompt[p].Select(e => e.Doc)], profiles[p]));
        output.WriteLine($"trained in {sw.Elapsed.TotalSeconds:0.0}s");
        bool Flag(string text, int p)
        {
            var doc = Tokenizer.Analyze(text);
            if (doc.Sentences.Count < 5) return false;
            var m = models[p];
            return m.Probability(OrderFeatures.Compute(doc, profiles[p], m.Position, m.Pairs)) > m.Threshold;
        }

        var test = HeldOutEssays.All;
        var sample = HeldOutEssays.Sample(13);
        for (var p = 1; p <= 8; p++)
        {
            var tp = test.Where(e => e.Prompt == p).ToList();
            var fa = tp.Count(e => Flag(e.Text, p));
            var faRejoin = tp.Count(e => { var d = Tokenizer.Analyze(e.Text); return Flag(Attacks.Rejoin(d, [.. Enumerable.Range(0, d.Sentences.Count).Select(d.SentenceText)]), p); });
            var det = 0;
            var det5 = 0;
            for (var i = 0; i < sample.Count; i++)
            {
                if (sample[i].Prompt != p) continue;
                var sh = Attacks.ShuffleSentences(sample[i].Text, 1000 + i);
                var hit = Flag(sh, p);
                det += hit ? 1 : 0;
                if (!hit && p == 7 && Environment.GetEnvironmentVariable("SHOW") == "1")
                {
                    output.WriteLine("ORIG: " + sample[i].Text.Replace("\n", "¶"));
                    output.WriteLine("SHUF: " + sh.Replace("\n", "¶"));
                }
            }

            var eligible = tp.Where(e => Tokenizer.Analyze(e.Text).Sentences.Count >= 6).ToList();
            for (var i = 0; i < eligible.Count; i++)
            {
                det5 += Flag(Attacks.ShuffleSentences(eligible[i].Text, 5000 + i), p) ? 1 : 0;
            }

            if (p == 2 || p == 7)
            {
                var fo = eligible.Select(e => OrderFeatures.Compute(Tokenizer.Analyze(e.Text), profiles[p], models[p].Position, models[p].Pairs)).ToList();
                var fs = eligible.Select((e, i) => OrderFeatures.Compute(Tokenizer.Analyze(Attacks.ShuffleSentences(e.Text, 5000 + i)), profiles[p], models[p].Position, models[p].Pairs)).ToList();
                for (var j = 0; j < OrderFeatures.Names.Length; j++)
                {
                    double M(List<double[]> l) => l.Average(r => r[j]);
                    double S(List<double[]> l) => Math.Sqrt(l.Average(r => r[j] * r[j]) - (M(l) * M(l)));
                    output.WriteLine($"   {OrderFeatures.Names[j],-24} orig {M(fo),7:0.000} ± {S(fo),6:0.000}  shuf {M(fs),7:0.000} ± {S(fs),6:0.000}");
                }

                output.WriteLine($"   sentences mean {eligible.Average(e => Tokenizer.Analyze(e.Text).Sentences.Count):0.0}");
            }

            output.WriteLine($"P{p}: FA {fa}/{tp.Count} rejoinFA {faRejoin} det {det}/13 detAll {det5}/{eligible.Count} trainRecall {models[p].TrainingRecall} thr {models[p].Threshold} w [{string.Join(",", models[p].Weights.Select(w => w.ToString("0.00")))}]");
        }
    }
}
