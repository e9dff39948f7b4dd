using Sluice.Classification.Training;

namespace Sluice.Classification.Tests;

/// <summary>A small seeded two-label data set ("1" praise, "0" complaints) that trains in milliseconds.</summary>
internal static class SyntheticSentiment
{
    private static readonly string[] s_good = ["great", "love", "excellent", "wonderful", "perfect", "happy", "recommend", "best"];
    private static readonly string[] s_bad = ["terrible", "hate", "awful", "broken", "worst", "disappointed", "poor", "refund"];
    private static readonly string[] s_filler = ["the", "phone", "service", "food", "movie", "it", "was", "really", "this", "and", "very"];

    public static List<LabelledText> Examples(int count, int seed = 1)
    {
        var random = new Random(seed);
        var examples = new List<LabelledText>(count);
        for (var i = 0; i < count; i++)
        {
            var positive = i % 2 == 0;
            var words = new List<string>();
            for (var k = 0; k < 6; k++)
            {
                words.Add(s_filler[random.Next(s_filler.Length)]);
            }

            var pool = positive ? s_good : s_bad;
            words.Insert(random.Next(words.Count), pool[random.Next(pool.Length)]);
            examples.Add(new LabelledText(string.Join(' ', words), positive ? "1" : "0"));
        }

        return examples;
    }

    /// <summary>The examples as a data file's text (CRLF lines, as the UCI files are).</summary>
    public static string FileText(int count, int seed = 1)
    {
        var lines = new System.Text.StringBuilder();
        foreach (var e in Examples(count, seed))
        {
            lines.Append(e.Text).Append('\t').Append(e.Label).Append("\r\n");
        }

        return lines.ToString();
    }
}
