using Sluice.Grading.Spelling;
using Sluice.Grading.Tests.Robustness;
using Sluice.Grading.Text;
using Sluice.Testing;
using Xunit.Abstractions;

namespace Sluice.Grading.Tests.Spelling;

/// <summary>
/// Top-1 accuracy of the spelling replacements on held-out essays (fold-0 test, which the committed model never saw):
/// on <see cref="TypoCorpus"/>'s self-supervised slips, where the intended word is known. Prints the figure quoted in
/// docs/grading.md ("Suggestion precision").
/// </summary>
public sealed class ReplacementAccuracyTests(ITestOutputHelper output)
{
    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void Suggest_RealisticSlipsInHeldOutEssays_MostlyRestoreTheWord()
    {
        var speller = TestGrader.Speller;
        var items = TypoCorpus.Build(HeldOutEssays.All.OrderBy(e => e.Id), speller.Dictionary.Contains);
        int total = 0, correct = 0, none = 0, longTotal = 0, longCorrect = 0;
        var misses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var doc = Tokenizer.Analyze(item.Text);
            var found = new List<Suggestion>();
            speller.Check(doc, found);
            var byStart = SpellChecker.CorrectionsIn(found);
            foreach (var (start, intended) in item.Slips)
            {
                total++;
                var isLong = intended.Length >= 5;
                longTotal += isLong ? 1 : 0;
                if (!byStart.TryGetValue(start, out var fix) || fix is null)
                {
                    none++;
                }
                else if (fix.Equals(intended, StringComparison.OrdinalIgnoreCase))
                {
                    correct++;
                    longCorrect += isLong ? 1 : 0;
                }
                else
                {
                    var typo = item.Text.Substring(start, doc.Tokens.Find(t => t.Start == start).Length);
                    var key = $"{intended} -> {typo} -> {fix}";
                    misses[key] = misses.GetValueOrDefault(key) + 1;
                }
            }
        }

        var accuracy = (double)correct / total;
        output.WriteLine($"slips {total} in {items.Count} essays: top-1 correct {correct} ({accuracy:P1}), no replacement {none}; words of 5+ letters {longCorrect}/{longTotal} ({(double)longCorrect / longTotal:P1})");
        foreach (var (key, n) in misses.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(60))
        {
            output.WriteLine($"{n,4}  {key}");
        }

        Assert.True(accuracy >= 0.91, $"top-1 accuracy {accuracy:P1}"); // 80.7 % before the weighted slip costs, 90.6 % before the context
    }
}
