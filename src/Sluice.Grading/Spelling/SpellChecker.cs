using System.Collections.Concurrent;
using Sluice.Grading.Text;

namespace Sluice.Grading.Spelling;

/// <summary>Finds misspelled words and proposes corrections; ASAP placeholders, numbers and acronyms are skipped.</summary>
internal sealed class SpellChecker(SpellDictionary dictionary)
{
    /// <summary>Most suggestions computed per essay; beyond that misspellings are still counted (bounds garbage input).</summary>
    public const int MaxSuggestions = 150;

    private readonly ConcurrentDictionary<string, string?> _cache = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, int> _rank = new Dictionary<string, int>(StringComparer.Ordinal);

    public SpellDictionary Dictionary => dictionary;

    /// <summary>Ranks suggestions by the model's word frequencies (most common first); set once, before grading.</summary>
    public void SetFrequencyRanking(IReadOnlyList<string> commonWords)
    {
        _rank = SpellDictionary.Ranking(commonWords);
        _cache.Clear();
    }

    /// <summary>Appends one suggestion per misspelling (up to <see cref="MaxSuggestions"/>) and returns the misspelling count.</summary>
    public int Check(EssayDocument doc, List<Suggestion> output)
    {
        var count = 0;
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            var t = doc.Tokens[i];
            if (t.Kind != TokenKind.Word || IsAcronym(doc.Span(t)))
            {
                continue;
            }

            var w = doc.Lower[i];
            if (dictionary.Contains(w))
            {
                continue;
            }

            count++;
            if (count > MaxSuggestions)
            {
                continue;
            }

            var fix = Suggest(w);
            if (fix is not null && char.IsUpper(doc.Text[t.Start]))
            {
                fix = char.ToUpperInvariant(fix[0]) + fix[1..];
            }

            var surface = doc.Surface(i);
            output.Add(new Suggestion("spelling", "misspelling",
                fix is null ? $"\"{surface}\" is not in the dictionary." : $"\"{surface}\" may be misspelled; did you mean \"{fix}\"?",
                t.Start, t.Length, fix));
        }

        return count;
    }

    public string? Suggest(string lowerWord)
    {
        if (_cache.TryGetValue(lowerWord, out var hit))
        {
            return hit;
        }

        var fix = dictionary.Suggest(lowerWord, _rank);
        if (_cache.Count > 100_000)
        {
            _cache.Clear(); // bounded: garbage input must not grow memory without limit
        }

        _cache[lowerWord] = fix;
        return fix;
    }

    private static bool IsAcronym(ReadOnlySpan<char> s)
    {
        if (s.Length is < 2 or > 6)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!char.IsUpper(c))
            {
                return false;
            }
        }

        return true;
    }
}
