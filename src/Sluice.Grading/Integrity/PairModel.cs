using Sluice.Grading.Text;

namespace Sluice.Grading.Integrity;

/// <summary>
/// Local coherence: a logistic score that sentence b directly follows sentence a, learned per prompt from real
/// neighbours versus random sentence pairs of the same essays. Its keys pair how b opens with how a opens and ends
/// ("first" → "second", a question → "because", a quote left open → its close, a sentence without a final mark →
/// one starting in lower case), with how many content words and
/// entities they share and which words they share. Summed over neighbours and compared with random orders of the same
/// sentences it gives evidence that grows with essay length.
/// </summary>
internal sealed record PairModel
{
    public required string[] Keys { get; init; }

    public required float[] Weights { get; init; }

    private Dictionary<string, int>? _index;

    /// <summary>
    /// Score of every ordered pair of the first <paramref name="sentences"/> sentences [paragraph break between them (0/1),
    /// earlier, later]; index n is a virtual start
    /// before the first sentence and n + 1 a virtual end after the last (both across a break), so openers and closers
    /// count too. The diagonal is 0.
    /// </summary>
    public double[,,] Scores(EssayDocument doc, int sentences)
    {
        var index = _index ??= Keys.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => x.i, StringComparer.Ordinal);
        var cues = Cues(doc, sentences);
        var n = sentences;
        var m = new double[2, n + 2, n + 2];
        var keys = new List<string>();
        for (var a = 0; a < n + 1; a++)
        {
            for (var b = 0; b < n + 2; b++)
            {
                if (a == b || b == n || (a == n && b == n + 1))
                {
                    continue;
                }

                // The content keys do not depend on a paragraph break between the two, so they are summed once.
                keys.Clear();
                var overlap = ContentKeys(cues[a], cues[b], keys);
                var common = Sum(index, keys);
                for (var brk = 0; brk < 2; brk++)
                {
                    keys.Clear();
                    BoundaryKeys(cues[a], cues[b], brk == 1, overlap, keys);
                    m[brk, a, b] = common + Sum(index, keys);
                }
            }
        }

        return m;
    }

    /// <summary>What the pair keys need of each of the first <paramref name="sentences"/> sentences (then the virtual start and end): first word, last word, content stems, entities, an open quote.</summary>
    public static (string First, string Last, HashSet<string> Content, HashSet<string> Entities, bool OddQuotes, string Edges)[] Cues(EssayDocument doc, int sentences)
    {
        var n = sentences;
        var result = new (string, string, HashSet<string>, HashSet<string>, bool, string)[n + 2];
        result[n] = ("<s>", "<s>", [], [], false, "<>");
        result[n + 1] = ("</s>", "</s>", [], [], false, "<>");
        for (var s = 0; s < n; s++)
        {
            var sentence = doc.Sentences[s];
            string first = "", last = "";
            var content = new HashSet<string>(StringComparer.Ordinal);
            var entities = new HashSet<string>(StringComparer.Ordinal);
            var quotes = 0;
            for (var k = sentence.FirstToken; k < sentence.FirstToken + sentence.TokenCount; k++)
            {
                var t = doc.Tokens[k];
                var w = doc.Lower[k];
                if (t.Kind == TokenKind.Punctuation)
                {
                    quotes += w is "\"" or "“" or "”" ? 1 : 0;
                    continue;
                }

                if (first.Length == 0)
                {
                    first = w;
                }

                last = w;
                if (t.Kind == TokenKind.Placeholder || (t.Kind == TokenKind.Word && k > sentence.FirstToken && char.IsUpper(doc.Text[t.Start]) && w != "i"))
                {
                    entities.Add(w);
                }
                else if (t.Kind == TokenKind.Word && w.Length >= 3 && !WordLists.FunctionWords.Contains(w))
                {
                    content.Add(w.Length > 5 ? w[..5] : w); // crude stemming, as in Coherence
                }
            }

            // How the sentence starts (capital, lower case, other) and ends (its final mark, or none): a sentence the
            // tokenizer split at a stray line break ends without a mark, and its continuation starts in lower case.
            var opening = sentence.TokenCount == 0 ? 'o' : char.IsUpper(doc.Text[sentence.Start]) ? 'U' : char.IsLower(doc.Text[sentence.Start]) ? 'l' : 'o';
            var end = sentence.TokenCount == 0 ? '_' : doc.Tokens[sentence.FirstToken + sentence.TokenCount - 1] is { Kind: TokenKind.Punctuation } p ? doc.Text[p.Start] : '_';
            result[s] = (first, last, content, entities, quotes % 2 == 1, string.Concat(opening, end));
        }

        return result;
    }

    public static void PairKeys(
        (string First, string Last, HashSet<string> Content, HashSet<string> Entities, bool OddQuotes, string Edges) a,
        (string First, string Last, HashSet<string> Content, HashSet<string> Entities, bool OddQuotes, string Edges) b,
        bool paragraphBreak,
        List<string> keys) =>
        BoundaryKeys(a, b, paragraphBreak, ContentKeys(a, b, keys), keys);

    private double Sum(Dictionary<string, int> index, List<string> keys)
    {
        double s = 0;
        foreach (var k in keys)
        {
            if (index.TryGetValue(k, out var i))
            {
                s += Weights[i];
            }
        }

        return s;
    }

    /// <summary>Keys that do not depend on a paragraph break between the two; returns the capped content-word overlap.</summary>
    private static int ContentKeys(
        (string First, string Last, HashSet<string> Content, HashSet<string> Entities, bool OddQuotes, string Edges) a,
        (string First, string Last, HashSet<string> Content, HashSet<string> Entities, bool OddQuotes, string Edges) b,
        List<string> keys)
    {
        var shared = 0;
        foreach (var w in b.Content)
        {
            if (a.Content.Contains(w))
            {
                shared++;
                keys.Add("w|" + w);
            }
        }

        var entities = 0;
        foreach (var e in b.Entities)
        {
            entities += a.Entities.Contains(e) ? 1 : 0;
        }

        var overlap = Math.Min(shared, 3);
        keys.Add("o|" + overlap);
        keys.Add("e|" + Math.Min(entities, 2));
        keys.Add("f|" + b.First + "|" + Math.Min(overlap, 1));
        keys.Add("ff|" + a.First + "|" + b.First);
        keys.Add("lf|" + a.Last + "|" + b.First);
        keys.Add("q|" + (a.OddQuotes ? 1 : 0) + (b.OddQuotes ? 1 : 0));
        return overlap;
    }

    private static void BoundaryKeys(
        (string First, string Last, HashSet<string> Content, HashSet<string> Entities, bool OddQuotes, string Edges) a,
        (string First, string Last, HashSet<string> Content, HashSet<string> Entities, bool OddQuotes, string Edges) b,
        bool paragraphBreak,
        int overlap,
        List<string> keys)
    {
        keys.Add("c|" + a.Edges[1] + b.Edges[0] + (paragraphBreak ? "¶" : ""));
        keys.Add("cc|" + a.Edges + b.Edges + (paragraphBreak ? "¶" : ""));
        if (paragraphBreak)
        {
            // What opens and closes a paragraph, and how much paragraphs share, differs from inside one.
            keys.Add("¶o|" + overlap);
            keys.Add("¶f|" + b.First);
            keys.Add("¶l|" + a.Last);
            keys.Add("¶a|" + a.First);
        }
    }
}
