namespace Sluice.Grading.Spelling;

/// <summary>Optimal-string-alignment (Damerau–Levenshtein with adjacent transpositions) distance, bounded.</summary>
/// <remarks>Sluice.Configuration's <c>SettingNameHint</c> has its own copy of the same distance (it cannot reference Grading); this one stays bounded and allocation-free for the spell checker.</remarks>
internal static class EditDistance
{
    /// <summary>Distance between <paramref name="a"/> and <paramref name="b"/>, or <paramref name="max"/> + 1 when larger.</summary>
    public static int Compute(ReadOnlySpan<char> a, ReadOnlySpan<char> b, int max)
    {
        if (Math.Abs(a.Length - b.Length) > max)
        {
            return max + 1;
        }

        var n = b.Length;
        Span<int> prev2 = stackalloc int[n + 1];
        Span<int> prev = stackalloc int[n + 1];
        Span<int> cur = stackalloc int[n + 1];
        for (var j = 0; j <= n; j++)
        {
            prev[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            var rowMin = i;
            for (var j = 1; j <= n; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var v = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    v = Math.Min(v, prev2[j - 2] + 1);
                }

                cur[j] = v;
                rowMin = Math.Min(rowMin, v);
            }

            if (rowMin > max)
            {
                return max + 1;
            }

            var t = prev2;
            prev2 = prev;
            prev = cur;
            cur = t;
        }

        return prev[n];
    }
}
