using Sluice.Grading.Data;
using Sluice.Testing;

namespace Sluice.Grading.Tests.Robustness;

/// <summary>
/// Real ASAP essays the committed model never saw (the fold-0 test split; the model trains on fold-0 train+dev),
/// read from ../shared at test time (never copied into the repository).
/// </summary>
internal static class HeldOutEssays
{
    private static readonly Lazy<IReadOnlyList<AsapEssay>> s_all = new(LoadAll);

    public static IReadOnlyList<AsapEssay> All => s_all.Value;

    /// <summary><paramref name="perPrompt"/> essays of each prompt with at least <paramref name="minSentences"/> sentences, evenly spread by id.</summary>
    public static List<AsapEssay> Sample(int perPrompt, int minSentences = 6)
    {
        var result = new List<AsapEssay>();
        foreach (var group in All.GroupBy(e => e.Prompt).OrderBy(g => g.Key))
        {
            var eligible = group.Where(e => Sluice.Grading.Text.Tokenizer.Analyze(e.Text).Sentences.Count >= minSentences).OrderBy(e => e.Id).ToList();
            for (var i = 0; i < perPrompt && i < eligible.Count; i++)
            {
                result.Add(eligible[i * eligible.Count / perPrompt]);
            }
        }

        return result;
    }

    private static IReadOnlyList<AsapEssay> LoadAll()
    {
        var data = new AsapDataset(Path.GetDirectoryName(Path.GetDirectoryName(SharedDataFactAttribute.RequirePath("data/asap/essays/prompt1.tsv")))!);
        var test = data.LoadFold(0, "test");
        return [.. Enumerable.Range(1, 8).SelectMany(data.LoadPrompt).Where(e => test.Contains(e.Id))];
    }
}
