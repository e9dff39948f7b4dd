using System.Globalization;
using Sluice.Grading.Text;

namespace Sluice.Grading.Integrity;

/// <summary>
/// Global order: a score that sentence a comes somewhere before sentence b (not only directly), antisymmetric by
/// construction (the keys of "a before b" count for, those of "b before a" against), so a random order scores 0 on
/// average while a written essay, summed over all its pairs of sentences, scores above. Keys: the two openings ("First"
/// … "Second", "One day" … "Then"), how a word both mention is introduced in each ("a dog" … "the dog"), a pronoun
/// opening b after a named someone, and ASAP's numbered entities (@PERSON1 before @PERSON2).
/// </summary>
internal sealed record PrecedenceModel
{
    /// <summary>Weight of each key slot (<see cref="KeyHash"/>) in hundredths.</summary>
    public required short[] Weights { get; init; }

    private static readonly HashSet<string> s_pronouns = new(StringComparer.Ordinal)
    {
        "he", "she", "it", "they", "this", "that", "these", "those", "his", "her", "their", "its", "him", "them",
    };

    private static readonly char[] s_digits = [.. "0123456789"];

    /// <summary>Score that sentence a precedes sentence b, for the first <paramref name="sentences"/> sentences; m[a, b] = -m[b, a].</summary>
    public double[,] Scores(EssayDocument doc, int sentences) => Scores(PairModel.Cues(doc, sentences), sentences);

    /// <summary>The same from the sentences' <see cref="PairModel.Cues"/>.</summary>
    public double[,] Scores(PairCues[] cues, int sentences)
    {
        var n = sentences;
        var m = new double[n, n];
        var keys = new List<string>();
        for (var a = 0; a < n; a++)
        {
            for (var b = a + 1; b < n; b++)
            {
                keys.Clear();
                DirectedKeys(cues[a], cues[b], keys);
                var forward = Sum(keys);
                keys.Clear();
                DirectedKeys(cues[b], cues[a], keys);
                var s = forward - Sum(keys);
                m[a, b] = s;
                m[b, a] = -s;
            }
        }

        return m;
    }

    /// <summary>The keys of "a comes (somewhere) before b"; only keys that change when the two swap carry information.</summary>
    public static void DirectedKeys(PairCues a, PairCues b, List<string> keys)
    {
        keys.Add(string.Concat("ff|", a.First, "|", b.First));
        var shared = 0;
        foreach (var (stem, determinerB) in b.Content)
        {
            if (a.Content.TryGetValue(stem, out var determinerA))
            {
                shared++;
                keys.Add(string.Concat("sd|", determinerA.ToString(), determinerB.ToString()));
            }
        }

        if (s_pronouns.Contains(b.First))
        {
            keys.Add(string.Concat("pr|", b.First, "|", a.Entities.Count > 0 ? "1" : "0", shared > 0 ? "1" : "0"));
        }

        foreach (var e in b.Entities)
        {
            if (!TryPlaceholder(e, out var kind, out var number))
            {
                continue;
            }

            foreach (var other in a.Entities)
            {
                if (TryPlaceholder(other, out var otherKind, out var otherNumber) && otherKind == kind && otherNumber != number)
                {
                    keys.Add(otherNumber < number ? "ph|<" : "ph|>");
                }
            }
        }
    }

    /// <summary>"@person2" → ("@person", 2).</summary>
    private static bool TryPlaceholder(string entity, out string kind, out int number)
    {
        kind = entity.TrimEnd(s_digits);
        number = 0;
        return entity.Length > 1 && entity[0] == '@' && kind.Length < entity.Length
            && int.TryParse(entity.AsSpan(kind.Length), NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }

    private double Sum(List<string> keys)
    {
        var s = 0;
        foreach (var k in keys)
        {
            s += Weights[KeyHash.Slot(k, Weights.Length)];
        }

        return s / 100.0;
    }
}
