using System.Text;
using Sluice.Grading.Data;
using Sluice.Grading.Text;

namespace Sluice.Grading.Tests.Spelling;

/// <summary>
/// A self-supervised spelling-correction set: correct words of real held-out essays, each corrupted in place by one
/// realistic slip (a dropped, doubled, swapped or neighbouring-key letter, a vowel for a vowel, a sound spelt another
/// way) into a non-word, so the intended word is known and the context is the student's own.
/// </summary>
internal static class TypoCorpus
{
    private const string Vowels = "aeiou";

    private static readonly string[] s_rows = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];

    // Sounds students spell another way (both directions are tried).
    private static readonly (string, string)[] s_sounds =
    [
        ("ie", "ei"), ("ce", "se"), ("ph", "f"), ("ck", "k"), ("tion", "sion"), ("ance", "ence"), ("able", "ible"), ("ant", "ent"),
        ("ly", "ley"), ("er", "or"), ("c", "k"), ("ou", "ow"), ("ea", "ee"), ("igh", "i"), ("y", "ie"), ("al", "el"),
    ];

    /// <summary>One essay with its slips: the corrupted text and, per slip, its start there and the word it replaced.</summary>
    public sealed record Item(string Text, List<(int Start, string Intended)> Slips);

    /// <summary>Corrupts about one word in <paramref name="rate"/> of each essay (never two neighbours), seeded.</summary>
    public static List<Item> Build(IEnumerable<AsapEssay> essays, Func<string, bool> isWord, int seed = 2012, int rate = 25)
    {
        var rng = new Random(seed);
        var items = new List<Item>();
        foreach (var e in essays)
        {
            var doc = Tokenizer.Analyze(e.Text);
            var sb = new StringBuilder(e.Text.Length);
            var slips = new List<(int, string)>();
            var copied = 0;
            var last = -2;
            for (var i = 0; i < doc.Tokens.Count; i++)
            {
                var t = doc.Tokens[i];
                var w = doc.Lower[i];
                if (t.Kind != TokenKind.Word || i == last + 1 || w.Length < 3 || !IsLowerAscii(doc.Span(t)) || !isWord(w) || rng.Next(rate) != 0)
                {
                    continue;
                }

                string? typo = null;
                for (var attempt = 0; attempt < 6 && typo is null; attempt++)
                {
                    var c = Corrupt(w, rng);
                    typo = c != w && c.Length >= 2 && !isWord(c) ? c : null;
                }

                if (typo is null)
                {
                    continue;
                }

                sb.Append(e.Text, copied, t.Start - copied);
                slips.Add((sb.Length, w));
                sb.Append(typo);
                copied = t.End;
                last = i;
            }

            if (slips.Count > 0)
            {
                sb.Append(e.Text, copied, e.Text.Length - copied);
                items.Add(new Item(sb.ToString(), slips));
            }
        }

        return items;
    }

    /// <summary>One slip: 25 % a dropped letter, 15 % an added one, 20 % a vowel for another, 15 % a neighbouring key, 15 % two letters swapped, 10 % a sound spelt another way.</summary>
    public static string Corrupt(string w, Random rng)
    {
        var p = rng.Next(100);
        var k = rng.Next(w.Length);
        if (p < 25)
        {
            // Drop a letter; a doubled letter is undoubled a third of the time ("ocurred").
            for (var j = 1; j < w.Length; j++)
            {
                if (w[j] == w[j - 1] && rng.Next(3) == 0)
                {
                    return w.Remove(j, 1);
                }
            }

            return w.Remove(k, 1);
        }

        if (p < 40)
        {
            return rng.Next(2) == 0 ? w.Insert(k, w[k].ToString()) : w.Insert(k + rng.Next(2), Neighbour(w[k], rng).ToString());
        }

        if (p < 60)
        {
            var vowels = new List<int>();
            for (var j = 0; j < w.Length; j++)
            {
                if (Vowels.Contains(w[j]))
                {
                    vowels.Add(j);
                }
            }

            if (vowels.Count == 0)
            {
                return w;
            }

            var at = vowels[rng.Next(vowels.Count)];
            var v = Vowels[rng.Next(Vowels.Length)];
            return w[..at] + v + w[(at + 1)..];
        }

        if (p < 75)
        {
            return w[..k] + Neighbour(w[k], rng) + w[(k + 1)..];
        }

        if (p < 90)
        {
            k = rng.Next(w.Length - 1);
            return w[..k] + w[k + 1] + w[k] + w[(k + 2)..];
        }

        var (a, b) = s_sounds[rng.Next(s_sounds.Length)];
        if (rng.Next(2) == 0)
        {
            (a, b) = (b, a);
        }

        var pos = w.IndexOf(a, StringComparison.Ordinal);
        return pos < 0 ? w : w[..pos] + b + w[(pos + a.Length)..];
    }

    private static char Neighbour(char c, Random rng)
    {
        foreach (var row in s_rows)
        {
            var i = row.IndexOf(c);
            if (i >= 0)
            {
                var left = i > 0 ? row[i - 1] : row[i + 1];
                var right = i + 1 < row.Length ? row[i + 1] : row[i - 1];
                return rng.Next(2) == 0 ? left : right;
            }
        }

        return c;
    }

    private static bool IsLowerAscii(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c is < 'a' or > 'z')
            {
                return false;
            }
        }

        return true;
    }
}
