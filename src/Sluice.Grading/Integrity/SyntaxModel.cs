using Sluice.Grading.Text;

namespace Sluice.Grading.Integrity;

/// <summary>
/// A tiny class-bigram language model that tells English word order from word salad. Each word maps to a class: one
/// of the most frequent (function) words itself, or a suffix class (-ly, -ing, -ed, -s, -tion …). The score is the
/// average log-likelihood ratio of each word's class given the previous one versus its class frequency alone:
/// real sentences are well above zero, shuffled or random words are near zero.
/// </summary>
internal sealed record SyntaxModel
{
    /// <summary>Words that are classes of their own (the rest fall into suffix classes).</summary>
    public required string[] Words { get; init; }

    /// <summary>log P(class | previous class), row-major over <see cref="ClassCount"/> × <see cref="ClassCount"/>.</summary>
    public required float[] Bigram { get; init; }

    /// <summary>log P(class).</summary>
    public required float[] Unigram { get; init; }

    /// <summary>Scores below this (1st percentile of training essays) mean the words do not form English sentences.</summary>
    public required double Threshold { get; init; }

    public const int SuffixClasses = 9;

    public int ClassCount => Words.Length + SuffixClasses + 1;

    /// <summary>log P(<paramref name="next"/> | <paramref name="previous"/>), the classes of two neighbouring words.</summary>
    public float LogP(int previous, int next) => Bigram[(previous * ClassCount) + next];

    private Dictionary<string, int>? _index;

    public int ClassOf(string lower, TokenKind kind)
    {
        _index ??= Words.Select((w, i) => (w, i)).ToDictionary(x => x.w, x => x.i, StringComparer.Ordinal);
        if (kind != TokenKind.Word)
        {
            return Words.Length; // numbers and placeholders behave like proper nouns
        }

        if (_index.TryGetValue(lower, out var c))
        {
            return c;
        }

        var suffix = lower switch
        {
            _ when lower.EndsWith("ly", StringComparison.Ordinal) => 1,
            _ when lower.EndsWith("ing", StringComparison.Ordinal) => 2,
            _ when lower.EndsWith("ed", StringComparison.Ordinal) => 3,
            _ when lower.EndsWith("tion", StringComparison.Ordinal) || lower.EndsWith("sion", StringComparison.Ordinal) || lower.EndsWith("ment", StringComparison.Ordinal) || lower.EndsWith("ness", StringComparison.Ordinal) => 4,
            _ when lower.EndsWith("ful", StringComparison.Ordinal) || lower.EndsWith("ous", StringComparison.Ordinal) || lower.EndsWith("ive", StringComparison.Ordinal) || lower.EndsWith("able", StringComparison.Ordinal) => 5,
            _ when lower.EndsWith("'s", StringComparison.Ordinal) || lower.EndsWith("s'", StringComparison.Ordinal) => 6,
            _ when lower.EndsWith('s') => 7,
            _ => 8,
        };
        return Words.Length + suffix;
    }

    /// <summary>Sentence-start pseudo-class.</summary>
    public int Start => ClassCount - 1;

    /// <summary>Average log-likelihood ratio per word (bigram vs. unigram), and the number of words scored.</summary>
    public (double Score, int Words) Score(EssayDocument doc)
    {
        var k = ClassCount;
        double sum = 0;
        var n = 0;
        var prev = Start;
        var prevSentence = -1;
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            var t = doc.Tokens[i];
            if (t.Kind == TokenKind.Punctuation)
            {
                continue;
            }

            if (t.Sentence != prevSentence)
            {
                prev = Start;
                prevSentence = t.Sentence;
            }

            var c = ClassOf(doc.Lower[i], t.Kind);
            sum += Bigram[(prev * k) + c] - Unigram[c];
            n++;
            prev = c;
        }

        return (n == 0 ? 0 : sum / n, n);
    }
}
