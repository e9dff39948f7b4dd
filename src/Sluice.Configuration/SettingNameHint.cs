using Microsoft.Extensions.Configuration;

namespace Sluice.Configuration;

/// <summary>
/// The likely fix of a misspelt configuration key, for the warning about it: one helper for the sections bound to
/// options classes, for a model's settings, for the CLI's commands and options and for the blog's settings, so all name it alike.
/// </summary>
public static class SettingNameHint
{
    /// <summary>
    /// " Did you mean Sluice:Cache:MaxBytes?" when one known name is within two edits of the key (a letter missing, added,
    /// changed, or two swapped: MaxByte, AnonymousBurts, Qeue), so the likely fix is named, not only the list; empty otherwise.
    /// </summary>
    public static string DidYouMean(IConfigurationSection unknown, IEnumerable<string> known) =>
        Closest(unknown.Key, known) is { } best ? $" Did you mean {unknown.Path[..^unknown.Key.Length]}{best}?" : "";

    /// <summary>
    /// The one of <paramref name="known"/> closest to <paramref name="word"/>, ignoring case, when it is within two edits
    /// (at most half the word's length); null otherwise. The CLI names a mistyped command or option with it too.
    /// </summary>
    public static string? Closest(string word, IEnumerable<string> known)
    {
        var key = word.ToUpperInvariant();
        string? best = null;
        var bestDistance = Math.Min(2, key.Length / 2);
        foreach (var name in known)
        {
            var distance = Distance(key, name.ToUpperInvariant());
            if (distance <= bestDistance && (best is null || distance < bestDistance))
            {
                (best, bestDistance) = (name, distance);
            }
        }

        return best;
    }

    /// <summary>Edits (insertion, deletion, substitution, swap of neighbours) between two strings: optimal string alignment distance.</summary>
    /// <remarks>The same distance as Sluice.Grading's <c>EditDistance</c>, written again: this assembly cannot reference Grading (Grading builds on Core, which builds on this).</remarks>
    private static int Distance(string a, string b)
    {
        // Row i of the (a.Length + 1) × (b.Length + 1) table starts at i * width.
        var width = b.Length + 1;
        var d = new int[(a.Length + 1) * width];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i * width] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var v = Math.Min(Math.Min(d[((i - 1) * width) + j] + 1, d[(i * width) + j - 1] + 1), d[((i - 1) * width) + j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    v = Math.Min(v, d[((i - 2) * width) + j - 2] + 1);
                }

                d[(i * width) + j] = v;
            }
        }

        return d[^1];
    }
}
