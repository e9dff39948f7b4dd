namespace Sluice.Grading.Text;

/// <summary>Heuristic English syllable count (vowel groups, silent final e), the usual basis of Flesch–Kincaid.</summary>
internal static class Syllables
{
    public static int Count(string lowerWord)
    {
        var n = 0;
        var prevVowel = false;
        foreach (var c in lowerWord)
        {
            var v = c is 'a' or 'e' or 'i' or 'o' or 'u' or 'y';
            if (v && !prevVowel)
            {
                n++;
            }

            prevVowel = v;
        }

        if (lowerWord.Length > 2 && lowerWord[^1] == 'e' && lowerWord[^2] != 'l' && n > 1)
        {
            n--;
        }

        return Math.Max(1, n);
    }
}
