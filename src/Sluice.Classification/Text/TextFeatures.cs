namespace Sluice.Classification.Text;

/// <summary>
/// Hashed features of a text: lowercase word unigrams and bigrams plus character 3- to 5-grams of each word (with its
/// boundaries), each hashed (FNV-1a) into one of <c>2^bits</c> buckets, counts scaled to unit length. Deterministic and
/// culture-free, so a model trained in one process scores identically in another.
/// </summary>
internal static class TextFeatures
{
    private const uint FnvOffset = 2166136261;
    private const uint FnvPrime = 16777619;
    private const int MinCharGram = 3;
    private const int MaxCharGram = 5;

    /// <summary>
    /// Fills <paramref name="counts"/> (bucket → count, cleared first) with the features of <paramref name="text"/>;
    /// <paramref name="word"/> is scratch space reused across calls.
    /// </summary>
    public static void Extract(string text, int bits, Dictionary<int, float> counts, List<char> word)
    {
        counts.Clear();
        var mask = (1 << bits) - 1;
        uint previous = 0;
        var hasPrevious = false;
        var i = 0;
        while (i < text.Length)
        {
            word.Clear();
            while (i < text.Length && !IsWordChar(text[i]))
            {
                i++;
            }

            while (i < text.Length && IsWordChar(text[i]))
            {
                word.Add(char.ToLowerInvariant(text[i]));
                i++;
            }

            if (word.Count == 0)
            {
                break;
            }

            var unigram = Hash(word, 0, word.Count, 'w');
            Add(counts, unigram, mask);
            if (hasPrevious)
            {
                // Bigram: the two word hashes combined, so "not good" differs from "good" and "not".
                Add(counts, Mix(previous, unigram), mask);
            }

            previous = unigram;
            hasPrevious = true;
            AddCharGrams(counts, word, mask);
        }

        Normalise(counts);
    }

    private static void AddCharGrams(Dictionary<int, float> counts, List<char> word, int mask)
    {
        // The word with boundary marks ("^good$"), so prefixes and suffixes count on their own.
        word.Insert(0, '^');
        word.Add('$');
        for (var n = MinCharGram; n <= MaxCharGram; n++)
        {
            for (var start = 0; start + n <= word.Count; start++)
            {
                Add(counts, Hash(word, start, n, (char)('0' + n)), mask);
            }
        }
    }

    private static void Normalise(Dictionary<int, float> counts)
    {
        double sum = 0;
        foreach (var v in counts.Values)
        {
            sum += v * v;
        }

        if (sum <= 0)
        {
            return;
        }

        var scale = (float)(1 / Math.Sqrt(sum));
        foreach (var key in counts.Keys)
        {
            counts[key] *= scale;
        }
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '\'';

    private static void Add(Dictionary<int, float> counts, uint hash, int mask)
    {
        var bucket = (int)(hash & (uint)mask);
        counts[bucket] = counts.GetValueOrDefault(bucket) + 1;
    }

    private static uint Hash(List<char> chars, int start, int length, char kind)
    {
        var h = unchecked((FnvOffset ^ kind) * FnvPrime);
        for (var k = start; k < start + length; k++)
        {
            var c = chars[k];
            h = unchecked((h ^ (byte)c) * FnvPrime);
            h = unchecked((h ^ (byte)(c >> 8)) * FnvPrime);
        }

        return h;
    }

    private static uint Mix(uint a, uint b)
    {
        var h = unchecked((FnvOffset ^ 'b') * FnvPrime);
        h = unchecked((h ^ a) * FnvPrime);
        return unchecked((h ^ (b * 0x9E3779B1u)) * FnvPrime);
    }
}
