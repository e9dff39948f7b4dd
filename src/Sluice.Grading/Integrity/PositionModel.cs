using Sluice.Grading.Text;

namespace Sluice.Grading.Integrity;

/// <summary>
/// Predicts where in an essay a sentence belongs (0 = first, 1 = last) from its words and opening words, learned per
/// prompt from training essays in their written order. Introductions name the task and the source ("In the story
/// …"), conclusions sum up, and source-based answers retell the text in its order, so in a real essay the predicted
/// positions rise with the actual ones; after a shuffle they do not.
/// </summary>
internal sealed record PositionModel
{
    /// <summary>Sentence keys: lower-cased words, "^w" (first word), "^w1_w2" (first two words), "#q" (has a quote).</summary>
    public required string[] Keys { get; init; }

    public required float[] Weights { get; init; }

    public required double Bias { get; init; }

    private static readonly char[] s_digits = [.. "0123456789"];

    private Dictionary<string, int>? _index;

    public double Predict(EssayDocument doc, int sentence)
    {
        var index = _index ??= Keys.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => x.i, StringComparer.Ordinal);
        var s = Bias;
        foreach (var key in SentenceKeys(doc, sentence))
        {
            if (index.TryGetValue(key, out var i))
            {
                s += Weights[i];
            }
        }

        return s;
    }

    /// <summary>The distinct keys of a sentence (placeholders lose their number: "@person1" → "@person").</summary>
    public static HashSet<string> SentenceKeys(EssayDocument doc, int sentence)
    {
        var s = doc.Sentences[sentence];
        var keys = new HashSet<string>(StringComparer.Ordinal);
        string? first = null;
        var words = 0;
        for (var k = s.FirstToken; k < s.FirstToken + s.TokenCount; k++)
        {
            var t = doc.Tokens[k];
            if (t.Kind == TokenKind.Punctuation)
            {
                if (doc.Lower[k] is "\"" or "“" or "”")
                {
                    keys.Add("#q");
                }

                continue;
            }

            var w = t.Kind == TokenKind.Placeholder ? doc.Lower[k].TrimEnd(s_digits) : doc.Lower[k];
            keys.Add(w);
            words++;
            if (words == 1)
            {
                first = w;
                keys.Add("^" + w);
            }
            else if (words == 2)
            {
                keys.Add("^" + first + "_" + w);
            }
        }

        return keys;
    }
}
