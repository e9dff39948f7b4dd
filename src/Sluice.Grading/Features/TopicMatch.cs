using Sluice.Grading.Text;

namespace Sluice.Grading.Features;

/// <summary>How well an essay's content words match a prompt profile.</summary>
internal static class TopicMatch
{
    /// <summary>
    /// Weighted share of the essay's content-word occurrences that are prompt keywords (similarity, 0..1), and the
    /// share of the prompt's top 50 keywords the essay uses (coverage, 0..1).
    /// </summary>
    public static (double Similarity, double Coverage) Compute(EssayDocument doc, PromptProfile profile)
    {
        double dot = 0, essayNorm = 0, profileNorm = 0;
        var counts = new Dictionary<int, int>();
        var content = 0;
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            if (doc.Tokens[i].Kind != TokenKind.Word || WordLists.FunctionWords.Contains(doc.Lower[i]))
            {
                continue;
            }

            content++;
            if (profile.TryGetIndex(doc.Lower[i], out var k))
            {
                counts[k] = counts.GetValueOrDefault(k) + 1;
            }
        }

        if (content == 0)
        {
            return (0, 0);
        }

        foreach (var w in profile.Weights)
        {
            profileNorm += w * w;
        }

        var covered = 0;
        var top = Math.Min(50, profile.Keywords.Length);
        foreach (var (k, c) in counts)
        {
            var tf = 1 + Math.Log(c);
            dot += tf * profile.Weights[k];
            essayNorm += tf * tf;
            if (k < top)
            {
                covered++;
            }
        }

        // Normalise by the essay's content length too, so a short on-topic essay is not "off topic".
        var other = content - counts.Values.Sum();
        essayNorm += Math.Max(0, other) * 0.25;
        var similarity = essayNorm == 0 || profileNorm == 0 ? 0 : dot / Math.Sqrt(essayNorm * profileNorm);
        return (similarity, top == 0 ? 0 : (double)covered / top);
    }
}
