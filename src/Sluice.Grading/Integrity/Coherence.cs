using Sluice.Grading.Text;

namespace Sluice.Grading.Integrity;

/// <summary>
/// Local lexical cohesion: how many content words neighbouring sentences share, compared with random orders of the
/// same sentences (a z-score; written essays score well above 0, shuffled ones around 0). The permutations are
/// seeded from the text so the result is deterministic.
/// </summary>
internal static class Coherence
{
    public static double OrderZScore(EssayDocument doc, int permutations = 24)
    {
        var n = doc.Sentences.Count;
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var sets = new HashSet<int>[n];
        for (var s = 0; s < n; s++)
        {
            var sentence = doc.Sentences[s];
            var set = new HashSet<int>();
            for (var k = sentence.FirstToken; k < sentence.FirstToken + sentence.TokenCount; k++)
            {
                var t = doc.Tokens[k];
                var w = doc.Lower[k];
                if (t.Kind == TokenKind.Punctuation || (t.Kind == TokenKind.Word && (w.Length < 3 || WordLists.FunctionWords.Contains(w))))
                {
                    continue;
                }

                var key = w.Length > 5 ? w[..5] : w; // crude stemming: computer/computers share a prefix
                if (!ids.TryGetValue(key, out var id))
                {
                    ids[key] = id = ids.Count;
                }

                set.Add(id);
            }

            sets[s] = set;
        }

        var order = Enumerable.Range(0, n).ToArray();
        var actual = Cohesion(sets, order);
        var rng = new Random(doc.Text.Length * 31 + n);
        double sum = 0, sumSq = 0;
        for (var p = 0; p < permutations; p++)
        {
            rng.Shuffle(order);
            var c = Cohesion(sets, order);
            sum += c;
            sumSq += c * c;
        }

        var mean = sum / permutations;
        var sd = Math.Sqrt(Math.Max(1e-9, (sumSq / permutations) - (mean * mean)));
        return (actual - mean) / Math.Max(sd, 0.01);
    }

    private static double Cohesion(HashSet<int>[] sets, int[] order)
    {
        double total = 0;
        for (var i = 1; i < order.Length; i++)
        {
            var a = sets[order[i - 1]];
            var b = sets[order[i]];
            if (a.Count == 0 || b.Count == 0)
            {
                continue;
            }

            var shared = 0;
            foreach (var x in a)
            {
                if (b.Contains(x))
                {
                    shared++;
                }
            }

            total += (double)shared / Math.Min(a.Count, b.Count);
        }

        return total / Math.Max(1, order.Length - 1);
    }
}
