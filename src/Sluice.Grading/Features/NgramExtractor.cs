using Sluice.Grading.Text;

namespace Sluice.Grading.Features;

/// <summary>
/// Word unigrams and bigrams (within sentences; placeholders folded to their class, e.g. <c>@caps</c>), as term counts.
/// </summary>
internal static class NgramExtractor
{
    public static Dictionary<string, int> Count(EssayDocument doc)
    {
        var counts = new Dictionary<string, int>(doc.Tokens.Count * 2, StringComparer.Ordinal);
        string? prev = null;
        var prevSentence = -1;
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            var t = doc.Tokens[i];
            if (t.Kind == TokenKind.Punctuation)
            {
                prev = null;
                continue;
            }

            var w = t.Kind switch
            {
                TokenKind.Placeholder => doc.Lower[i].TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'),
                TokenKind.Number => "#num",
                _ => doc.Lower[i],
            };
            if (t.Sentence != prevSentence)
            {
                prev = null;
                prevSentence = t.Sentence;
            }

            Add(counts, w);
            if (prev is not null)
            {
                Add(counts, prev + " " + w);
            }

            prev = w;
        }

        return counts;
    }

    private static void Add(Dictionary<string, int> counts, string key)
    {
        ref var c = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _);
        c++;
    }
}
