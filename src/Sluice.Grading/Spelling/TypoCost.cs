namespace Sluice.Grading.Spelling;

/// <summary>
/// Edit distance weighted by how students slip, to rank the candidates the symmetric-delete index finds: a doubled or
/// undoubled letter ("refered", "untill") costs 0.5 (an undoubled vowel 0.6), the "g" of "-ing" left out ("goin") 0.5,
/// a vowel for another ("posative", "seperate"), a silent "e" left out or added ("provid", "safly", "acide") and the
/// "t" of "tch" left out ("wached") 0.6, two letters swapped ("becuase", "hte") and a sound spelt another way (c/s/k,
/// s/z, i/y) 0.7, another missing or extra vowel ("somthing", "compeuter") and a neighbouring key ("snd") 0.8,
/// anything else 1. Optimal string alignment, as <see cref="EditDistance"/>.
/// </summary>
internal static class TypoCost
{
    private const string Rows = "qwertyuiop|asdfghjkl|zxcvbnm";

    /// <summary>Weighted cost of turning the intended <paramref name="word"/> into the <paramref name="typo"/> (both lower case).</summary>
    public static double Compute(ReadOnlySpan<char> typo, ReadOnlySpan<char> word)
    {
        var n = word.Length;
        Span<double> prev2 = stackalloc double[n + 1];
        Span<double> prev = stackalloc double[n + 1];
        Span<double> cur = stackalloc double[n + 1];
        prev[0] = 0;
        for (var j = 1; j <= n; j++)
        {
            prev[j] = prev[j - 1] + Missing(word, j - 1);
        }

        for (var i = 1; i <= typo.Length; i++)
        {
            cur[0] = prev[0] + Extra(typo, i - 1);
            for (var j = 1; j <= n; j++)
            {
                var a = typo[i - 1];
                var b = word[j - 1];
                var v = prev[j - 1] + (a == b ? 0 : Substitution(a, b));
                v = Math.Min(v, prev[j] + Extra(typo, i - 1));
                v = Math.Min(v, cur[j - 1] + Missing(word, j - 1));
                if (i > 1 && j > 1 && a == word[j - 2] && typo[i - 2] == b && a != b)
                {
                    v = Math.Min(v, prev2[j - 2] + 0.7);
                }

                cur[j] = v;
            }

            var t = prev2;
            prev2 = prev;
            prev = cur;
            cur = t;
        }

        return prev[n];
    }

    /// <summary>Cost of a letter of the intended word the typo leaves out: about half when it was one of a double.</summary>
    private static double Missing(ReadOnlySpan<char> word, int k)
    {
        var c = word[k];
        if ((k > 0 && word[k - 1] == c) || (k + 1 < word.Length && word[k + 1] == c))
        {
            return IsVowel(c) ? 0.6 : 0.5; // "refered" is "referred" before "refereed"
        }

        // A silent "e" left out at the end or before an ending ("provid", "safly", "lovly") is the commonest vowel to drop.
        if (c == 'e' && k > 0 && (k + 1 == word.Length || word[(k + 1)..] is "ly" or "ment" or "ful" or "ness" or "s" or "d"))
        {
            return 0.6;
        }

        // "goin", "somethin": the "g" of "-ing".
        if (c == 'g' && k + 1 == word.Length && k >= 2 && word[k - 2] == 'i' && word[k - 1] == 'n')
        {
            return 0.5;
        }

        // "wached", "kichen": the "t" of "tch".
        if (c == 't' && k + 2 < word.Length && word[k + 1] == 'c' && word[k + 2] == 'h')
        {
            return 0.6;
        }

        return IsVowel(c) ? 0.8 : 1;
    }

    /// <summary>Cost of a letter the typo adds: half when it doubles its neighbour, less for a vowel.</summary>
    private static double Extra(ReadOnlySpan<char> typo, int k)
    {
        var c = typo[k];
        if ((k > 0 && typo[k - 1] == c) || (k + 1 < typo.Length && typo[k + 1] == c))
        {
            return 0.5;
        }

        // A silent "e" added at the end ("acide", "worste").
        return c == 'e' && k + 1 == typo.Length ? 0.6 : IsVowel(c) ? 0.8 : 1;
    }

    private static double Substitution(char typed, char meant)
    {
        if (IsVowel(typed) && IsVowel(meant))
        {
            return 0.6;
        }

        return SameSound(typed, meant) ? 0.7 : Adjacent(typed, meant) ? 0.8 : 1;
    }

    private static bool SameSound(char a, char b) => (a, b) switch
    {
        ('c', 's') or ('s', 'c') or ('c', 'k') or ('k', 'c') or ('s', 'z') or ('z', 's') or ('i', 'y') or ('y', 'i') or ('y', 'e') or ('e', 'y') => true,
        _ => false,
    };

    private static bool IsVowel(char c) => c is 'a' or 'e' or 'i' or 'o' or 'u';

    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> are side by side on a QWERTY row.</summary>
    private static bool Adjacent(char a, char b)
    {
        var i = Rows.IndexOf(a);
        return i >= 0 && ((i > 0 && Rows[i - 1] == b) || (i + 1 < Rows.Length && Rows[i + 1] == b));
    }
}
