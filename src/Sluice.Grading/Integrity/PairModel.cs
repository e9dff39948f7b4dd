using Sluice.Grading.Text;

namespace Sluice.Grading.Integrity;

/// <summary>
/// Local coherence: a logistic score that sentence b directly follows sentence a, learned from real neighbours versus
/// random sentence pairs of the same essays. Its keys pair how b opens with how a opens and ends ("first" → "second", a
/// question → "because", a quote left open → its close, a sentence without a final mark → one starting in lower case),
/// with how many content words and entities they share, which words they share and how each introduces a shared word
/// ("a dog" … "the dog"), and whether a pronoun opening b has someone in a to refer to. Summed over neighbours and
/// compared with random orders of the same sentences it gives evidence that grows with essay length.
/// </summary>
internal sealed record PairModel
{
    /// <summary>Weight of each key slot (<see cref="KeyHash"/>) in hundredths.</summary>
    public required short[] Weights { get; init; }

    private static readonly HashSet<string> s_pronouns = new(StringComparer.Ordinal)
    {
        "he", "she", "it", "they", "this", "that", "these", "those", "his", "her", "their", "its", "him", "them", "there",
    };

    /// <summary>
    /// Score of every ordered pair of the first <paramref name="sentences"/> sentences [paragraph break between them (0/1),
    /// earlier, later]; index n is a virtual start
    /// before the first sentence and n + 1 a virtual end after the last (both across a break), so openers and closers
    /// count too. The diagonal is 0.
    /// </summary>
    public double[,,] Scores(EssayDocument doc, int sentences) => Scores(Cues(doc, sentences), sentences, [this])[0];

    /// <summary>
    /// <see cref="Scores(EssayDocument, int)"/> of several models over the same cues (<see cref="Cues"/>): each pair's
    /// keys are built and hashed once for all of them (the per-prompt and the shared model).
    /// </summary>
    public static double[][,,] Scores(PairCues[] cues, int sentences, IReadOnlyList<PairModel> models)
    {
        var n = sentences;
        var result = new double[models.Count][,,];
        for (var i = 0; i < models.Count; i++)
        {
            result[i] = new double[2, n + 2, n + 2];
        }

        var keys = new List<string>();
        var hashes = new List<uint>();
        var common = new double[models.Count];
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
                Hash(keys, hashes);
                for (var i = 0; i < models.Count; i++)
                {
                    common[i] = models[i].Sum(hashes);
                }

                for (var brk = 0; brk < 2; brk++)
                {
                    keys.Clear();
                    BoundaryKeys(cues[a], cues[b], brk == 1, overlap, keys);
                    Hash(keys, hashes);
                    for (var i = 0; i < models.Count; i++)
                    {
                        result[i][brk, a, b] = common[i] + models[i].Sum(hashes);
                    }
                }
            }
        }

        return result;
    }

    /// <summary>The cues of each of the first <paramref name="sentences"/> sentences, then the virtual start and end.</summary>
    public static PairCues[] Cues(EssayDocument doc, int sentences)
    {
        var n = sentences;
        var result = new PairCues[n + 2];
        result[n] = new("<s>", "<s>", [], [], false, "<>", "", "");
        result[n + 1] = new("</s>", "</s>", [], [], false, "<>", "", "");
        for (var s = 0; s < n; s++)
        {
            var sentence = doc.Sentences[s];
            string first = "", last = "", previous = "", firstContent = "", lastContent = "";
            var content = new Dictionary<string, char>(StringComparer.Ordinal);
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
                    var stem = w.Length > 5 ? w[..5] : w; // crude stemming, as in Coherence
                    content.TryAdd(stem, Determiner(previous));
                    if (firstContent.Length == 0)
                    {
                        firstContent = stem;
                    }

                    lastContent = stem;
                }

                previous = w;
            }

            // How the sentence starts (capital, lower case, other) and ends (its final mark, or none): a sentence the
            // tokenizer split at a stray line break ends without a mark, and its continuation starts in lower case.
            var opening = sentence.TokenCount == 0 ? 'o' : char.IsUpper(doc.Text[sentence.Start]) ? 'U' : char.IsLower(doc.Text[sentence.Start]) ? 'l' : 'o';
            var end = sentence.TokenCount == 0 ? '_' : doc.Tokens[sentence.FirstToken + sentence.TokenCount - 1] is { Kind: TokenKind.Punctuation } p ? doc.Text[p.Start] : '_';
            result[s] = new(first, last, content, entities, quotes % 2 == 1, string.Concat(opening, end), firstContent, lastContent);
        }

        return result;
    }

    /// <summary>How a word is introduced: a/an (new), the (known), this/that… (pointing back), a possessive, or nothing.</summary>
    public static char Determiner(string previous) => previous switch
    {
        "a" or "an" => 'a',
        "the" => 't',
        "this" or "that" or "these" or "those" => 'd',
        "his" or "her" or "their" or "my" or "your" or "our" or "its" => 'p',
        _ => '-',
    };

    public static void PairKeys(PairCues a, PairCues b, bool paragraphBreak, List<string> keys) =>
        BoundaryKeys(a, b, paragraphBreak, ContentKeys(a, b, keys), keys);

    private static void Hash(List<string> keys, List<uint> hashes)
    {
        hashes.Clear();
        foreach (var k in keys)
        {
            hashes.Add(KeyHash.Hash(k));
        }
    }

    private double Sum(List<uint> hashes)
    {
        var s = 0;
        foreach (var h in hashes)
        {
            s += Weights[KeyHash.Slot(h, Weights.Length)];
        }

        return s / 100.0;
    }

    /// <summary>Keys that do not depend on a paragraph break between the two; returns the capped content-word overlap.</summary>
    private static int ContentKeys(PairCues a, PairCues b, List<string> keys)
    {
        var shared = 0;
        foreach (var (w, determinerB) in b.Content)
        {
            if (a.Content.TryGetValue(w, out var determinerA))
            {
                shared++;
                keys.Add("w|" + w);
                // "a dog" … "the dog" reads forwards, "the dog" … "a dog" backwards.
                keys.Add(string.Concat("sd|", determinerA.ToString(), determinerB.ToString()));
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
        if (s_pronouns.Contains(b.First))
        {
            // A pronoun opener needs someone or something just named.
            keys.Add(string.Concat("pr|", b.First, "|", a.Entities.Count > 0 ? "1" : "0", Math.Min(overlap, 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (b.FirstContent.Length > 0)
        {
            // b picks up where a left off: its first content word is a's last, or one of a's.
            keys.Add(b.FirstContent == a.LastContent ? "th|2" : a.Content.ContainsKey(b.FirstContent) ? "th|1" : "th|0");
        }

        if (a.Edges[1] == '?')
        {
            keys.Add("?f|" + b.First);
        }

        return overlap;
    }

    private static void BoundaryKeys(PairCues a, PairCues b, bool paragraphBreak, int overlap, List<string> keys)
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
