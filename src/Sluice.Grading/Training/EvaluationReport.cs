using System.Globalization;
using System.Text;
using Sluice.Grading.Data;

namespace Sluice.Grading.Training;

/// <summary>QWK results of the 5-fold protocol (per prompt, per trait) and of leave-one-prompt-out; renders Markdown.</summary>
internal sealed class EvaluationReport
{
    /// <summary>Published average holistic QWKs on the same folds (shared/README.md).</summary>
    public static readonly (string Name, double Qwk)[] Baselines = [("EASE", 0.70), ("Human", 0.75), ("LSTM", 0.75), ("BERT", 0.77)];

    public SortedDictionary<int, List<double>> Holistic { get; } = [];

    /// <summary>(prompt, trait key) → QWK per fold.</summary>
    public SortedDictionary<(int Prompt, string Trait), List<double>> Traits { get; } = [];

    public SortedDictionary<int, double> LeaveOneOut { get; } = [];

    public List<int> Folds { get; } = [];

    public string Command { get; set; } = "./sluice grader eval";

    public double AverageHolistic => Holistic.Count == 0 ? 0 : Holistic.Values.Average(v => v.Average());

    /// <summary>Mean over prompts of each prompt's mean trait QWK.</summary>
    public double AverageTraits => Traits.Count == 0 ? 0 : Traits.GroupBy(kv => kv.Key.Prompt).Average(g => g.Average(kv => kv.Value.Average()));

    public double AverageLeaveOneOut => LeaveOneOut.Count == 0 ? 0 : LeaveOneOut.Values.Average();

    public void AddHolistic(int prompt, double qwk)
    {
        lock (Holistic)
        {
            if (!Holistic.TryGetValue(prompt, out var list))
            {
                Holistic[prompt] = list = [];
            }

            list.Add(qwk);
        }
    }

    public void AddTrait(int prompt, string trait, double qwk)
    {
        lock (Traits)
        {
            if (!Traits.TryGetValue((prompt, trait), out var list))
            {
                Traits[(prompt, trait)] = list = [];
            }

            list.Add(qwk);
        }
    }

    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"Folds: {string.Join(", ", Folds)} (train+dev → test), per-prompt QWK averaged over folds.");
        sb.AppendLine();
        sb.AppendLine("| Prompt | Sluice | EASE | Human | LSTM | BERT |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var (p, list) in Holistic)
        {
            sb.AppendLine(c, $"| {p} | {list.Average():0.000} | | | | |");
        }

        sb.AppendLine(c, $"| **Average** | **{AverageHolistic:0.000}** | {Baselines[0].Qwk:0.00} | {Baselines[1].Qwk:0.00} | {Baselines[2].Qwk:0.00} | {Baselines[3].Qwk:0.00} |");
        sb.AppendLine();

        if (Traits.Count > 0)
        {
            var traitKeys = Traits.Keys.Select(k => k.Trait).Distinct().ToList();
            sb.AppendLine("Trait QWK (prompts 1–6: ASAP++; prompts 7–8: rater1 + rater2 trait columns):");
            sb.AppendLine();
            sb.AppendLine("| Prompt | " + string.Join(" | ", traitKeys) + " | Mean |");
            sb.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", traitKeys.Count + 1)));
            foreach (var p in Traits.Keys.Select(k => k.Prompt).Distinct())
            {
                var cells = traitKeys.Select(t => Traits.TryGetValue((p, t), out var l) ? l.Average().ToString("0.000", c) : "");
                var mean = Traits.Where(kv => kv.Key.Prompt == p).Average(kv => kv.Value.Average());
                sb.AppendLine(c, $"| {p} | {string.Join(" | ", cells)} | {mean:0.000} |");
            }

            var perTrait = traitKeys.Select(t => Traits.Where(kv => kv.Key.Trait == t).Average(kv => kv.Value.Average()).ToString("0.000", c));
            sb.AppendLine(c, $"| **Average** | {string.Join(" | ", perTrait)} | **{AverageTraits:0.000}** |");
            sb.AppendLine();
            sb.AppendLine("Published trait models average ≈ 0.66–0.71 QWK over traits.");
            sb.AppendLine();
        }

        if (LeaveOneOut.Count > 0)
        {
            sb.AppendLine("Prompt-independent mode (normalized 0–1 score, leave-one-prompt-out; mapped back to each prompt's scale for QWK):");
            sb.AppendLine();
            sb.AppendLine("| Held-out prompt | QWK |");
            sb.AppendLine("|---|---|");
            foreach (var (p, q) in LeaveOneOut)
            {
                sb.AppendLine(c, $"| {p} | {q:0.000} |");
            }

            sb.AppendLine(c, $"| **Average** | **{AverageLeaveOneOut:0.000}** |");
        }

        return sb.ToString();
    }

    /// <summary>Scale of each prompt, for readers of the report.</summary>
    public static string ScaleOf(int prompt) => $"{PromptScale.Get(prompt).Min}–{PromptScale.Get(prompt).Max}";
}
