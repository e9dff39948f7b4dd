using Sluice.Grading.Features;

namespace Sluice.Grading.Training;

/// <summary>
/// Fits <see cref="PromptClassifier"/>: softmax regression by full-batch gradient descent with an L2 penalty, in a fixed
/// order on one thread, so the same essays give the same weights.
/// </summary>
internal static class PromptClassifierTrainer
{
    public static PromptClassifier Train(Dictionary<int, List<PreparedEssay>> byPrompt, IReadOnlyDictionary<int, PromptProfile> profiles, TrainingOptions options)
    {
        var prompts = byPrompt.Keys.Order().ToArray();
        var words = prompts.SelectMany(p => profiles[p].Keywords).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var shell = new PromptClassifier { Prompts = prompts, Words = words, Weights = [], Bias = [] };

        var rows = new List<(int[] Index, double[] Value, int Class)>();
        for (var k = 0; k < prompts.Length; k++)
        {
            foreach (var e in byPrompt[prompts[k]])
            {
                var (index, value) = shell.Inputs(e.Doc);
                if (index.Length > 0)
                {
                    rows.Add((index, value, k));
                }
            }
        }

        var c = prompts.Length;
        var d = words.Length;
        var w = new double[c * d];
        var b = new double[c];
        var gw = new double[c * d];
        var gb = new double[c];
        var p = new double[c];
        for (var it = 0; it < options.ClassifierIterations; it++)
        {
            Array.Clear(gw);
            Array.Clear(gb);
            foreach (var (index, value, cls) in rows)
            {
                var max = double.MinValue;
                for (var k = 0; k < c; k++)
                {
                    var s = b[k];
                    for (var t = 0; t < index.Length; t++)
                    {
                        s += w[(k * d) + index[t]] * value[t];
                    }

                    p[k] = s;
                    max = Math.Max(max, s);
                }

                var sum = 0.0;
                for (var k = 0; k < c; k++)
                {
                    p[k] = Math.Exp(p[k] - max);
                    sum += p[k];
                }

                for (var k = 0; k < c; k++)
                {
                    var err = (p[k] / sum) - (k == cls ? 1 : 0);
                    gb[k] += err;
                    for (var t = 0; t < index.Length; t++)
                    {
                        gw[(k * d) + index[t]] += err * value[t];
                    }
                }
            }

            for (var j = 0; j < w.Length; j++)
            {
                w[j] -= options.ClassifierRate * ((gw[j] / rows.Count) + (options.ClassifierL2 * w[j]));
            }

            for (var k = 0; k < c; k++)
            {
                b[k] -= options.ClassifierRate * gb[k] / rows.Count;
            }
        }

        return shell with
        {
            Weights = [.. w.Select(x => (float)Math.Round(x, 2))],
            Bias = [.. b.Select(x => (float)Math.Round(x, 3))],
        };
    }
}
