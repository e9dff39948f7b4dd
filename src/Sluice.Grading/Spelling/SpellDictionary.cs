using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Sluice.Grading.Spelling;

/// <summary>
/// English word list from the Debian dictionaries (wamerican's <c>american-english</c>, plus hunspell's
/// <c>en_US.dic</c> expanded with its single-affix rules when installed) and a symmetric-delete index for fast
/// spelling suggestions: every word and each of its one-character deletions is hashed into one sorted array, so a
/// lookup costs a few binary searches plus bounded edit distances over a handful of candidates.
/// </summary>
internal sealed class SpellDictionary
{
    public const string DefaultWordList = "/usr/share/dict/american-english";
    public const string DefaultHunspell = "/usr/share/hunspell/en_US.dic";

    private static readonly FrozenDictionary<string, string> s_common = new Dictionary<string, string>
    {
        ["alot"] = "a lot", ["dont"] = "don't", ["doesnt"] = "doesn't", ["didnt"] = "didn't", ["isnt"] = "isn't", ["wasnt"] = "wasn't",
        ["im"] = "I'm", ["ive"] = "I've", ["thats"] = "that's", ["theyre"] = "they're", ["youre"] = "you're", ["shouldnt"] = "shouldn't",
        ["couldnt"] = "couldn't", ["wouldnt"] = "wouldn't", ["arent"] = "aren't", ["becuase"] = "because", ["untill"] = "until", ["alright"] = "all right",
        ["ur"] = "your", ["u"] = "you", ["wanna"] = "want to", ["gonna"] = "going to", ["cuz"] = "because", ["thier"] = "their", ["recieve"] = "receive",
        ["greatfull"] = "grateful", ["noone"] = "no one", ["wich"] = "which", ["definetly"] = "definitely", ["definatly"] = "definitely", ["definetely"] = "definitely", ["mins"] = "minutes",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenSet<string> s_hyphenPrefixes = new[]
    {
        "pre", "non", "anti", "co", "ex", "mid", "multi", "semi", "sub", "post", "inter", "re", "un", "mis", "bi", "tri", "pro", "cyber",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly string[] s_contractionEndings = ["ll", "ve", "re", "d"];

    // Words whose "-s" form without an apostrophe is almost always "'s" ("theres", "todays", "childrens"); for other
    // nouns it is as often a wrong plural ("informations"), where "information's" would be the wrong fix.
    private static readonly FrozenSet<string> s_apostropheS = new[]
    {
        "there", "here", "what", "who", "where", "that", "how", "when", "why", "it", "he", "she", "let", "everyone", "everybody", "someone", "somebody",
        "anyone", "anybody", "nobody", "today", "tomorrow", "yesterday", "children", "men", "women",
    }.ToFrozenSet(StringComparer.Ordinal);

    private readonly HashSet<string> _words;
    private readonly string[] _list;
    private readonly ulong[] _keys;
    private readonly int[] _ids;

    private SpellDictionary(HashSet<string> words)
    {
        _words = words;
        _list = words.Where(w => w.Length is >= 2 and <= 18 && !w.Contains('\'')).Order(StringComparer.Ordinal).ToArray();
        var keys = new List<ulong>(_list.Length * 10);
        var ids = new List<int>(_list.Length * 10);
        Span<char> buf = stackalloc char[20];
        for (var id = 0; id < _list.Length; id++)
        {
            var w = _list[id].AsSpan();
            keys.Add(Hash(w));
            ids.Add(id);
            for (var d = 0; d < w.Length; d++)
            {
                if (d > 0 && w[d] == w[d - 1])
                {
                    continue; // same deletion as the previous position
                }

                w[..d].CopyTo(buf);
                w[(d + 1)..].CopyTo(buf[d..]);
                keys.Add(Hash(buf[..(w.Length - 1)]));
                ids.Add(id);
            }
        }

        _keys = [.. keys];
        _ids = [.. ids];
        Array.Sort(_keys, _ids);
    }

    /// <summary>Number of distinct lower-case word forms.</summary>
    public int Count => _words.Count;

    /// <summary>Where the words came from (for the model descriptor and docs).</summary>
    public string Source { get; private init; } = "";

    /// <summary>
    /// First 12 hex digits of the SHA-256 of the files read: another word list or hunspell dictionary (a package
    /// upgrade, another path) spells differently, so the result cache must not answer with grades made with the old one.
    /// </summary>
    public string Fingerprint { get; private init; } = "";

    /// <summary>
    /// Loads the dictionaries. <paramref name="wordList"/> must exist; <paramref name="hunspell"/> is optional.
    /// Throws <see cref="DictionaryNotFoundException"/> with the Debian package to install otherwise.
    /// </summary>
    public static SpellDictionary Load(string? wordList = null, string? hunspell = null)
    {
        wordList ??= DefaultWordList;
        hunspell ??= DefaultHunspell;
        var words = new HashSet<string>(StringComparer.Ordinal);
        var sources = new List<string>();
        using var fingerprint = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (File.Exists(wordList))
        {
            fingerprint.AppendData(File.ReadAllBytes(wordList));
            foreach (var line in File.ReadLines(wordList))
            {
                if (line.Length > 0)
                {
                    words.Add(line.Trim().ToLowerInvariant());
                }
            }

            sources.Add(wordList);
        }

        if (File.Exists(hunspell))
        {
            fingerprint.AppendData(File.ReadAllBytes(hunspell));
            if (File.Exists(Path.ChangeExtension(hunspell, ".aff")))
            {
                fingerprint.AppendData(File.ReadAllBytes(Path.ChangeExtension(hunspell, ".aff")));
            }

            HunspellReader.AddWords(hunspell, Path.ChangeExtension(hunspell, ".aff"), words);
            sources.Add(hunspell);
        }

        if (words.Count == 0)
        {
            throw new DictionaryNotFoundException(
                $"No English word list found at {wordList} or {hunspell}. Install it with scripts/install-grading-deps.sh " +
                "(apt-get install wamerican hunspell-en-us) or set Sluice:Grading:WordListPath.");
        }

        // Short words the lists spell only with capitals or not at all but which essays use constantly.
        foreach (var w in new[] { "i", "ok", "okay", "email", "emails", "online", "internet", "website", "websites", "facebook", "youtube", "texting", "laptop", "laptops", "cellphone", "cyber", "sci-fi" })
        {
            words.Add(w);
        }

        return new SpellDictionary(words) { Source = string.Join(", ", sources), Fingerprint = Convert.ToHexStringLower(fingerprint.GetHashAndReset())[..12] };
    }

    /// <summary>
    /// Word → frequency rank (most common first) from a model's common words, for <see cref="Rank"/>. The ranking
    /// belongs to the model, not to this dictionary, which graders with different models share.
    /// </summary>
    public static Dictionary<string, int> Ranking(IReadOnlyList<string> commonWords)
    {
        var rank = new Dictionary<string, int>(commonWords.Count, StringComparer.Ordinal);
        for (var i = 0; i < commonWords.Count; i++)
        {
            rank.TryAdd(commonWords[i], i);
        }

        return rank;
    }

    /// <summary>True when the lower-case <paramref name="word"/> is spelled correctly (hyphenated parts and possessives included).</summary>
    public bool Contains(string word)
    {
        if (_words.Contains(word))
        {
            return true;
        }

        if (word.EndsWith("'s", StringComparison.Ordinal) || word.EndsWith("s'", StringComparison.Ordinal))
        {
            return _words.Contains(word[..^2]) || _words.Contains(word[..^1].TrimEnd('\''));
        }

        if (word.Contains('-'))
        {
            var parts = word.Split('-');
            for (var k = 0; k < parts.Length; k++)
            {
                // A prefix before a hyphen is no word on its own: "pre-school", "non-violent", "cyber-bullying".
                if (parts[k].Length > 0 && !_words.Contains(parts[k]) && !(k < parts.Length - 1 && s_hyphenPrefixes.Contains(parts[k])))
                {
                    return false;
                }
            }

            return true;
        }

        return false;
    }

    /// <summary>
    /// Corrections of a misspelled lower-case word: the best first (candidates within two edits ranked by
    /// <see cref="TypoCost"/> and by <paramref name="rank"/>, see <see cref="Ranking"/>), then the other candidates whose
    /// score is within <see cref="CloseMargin"/> of it, cheapest first, each with its score (lower is likelier); empty
    /// when nothing is within two edits.
    /// A correction that needs no ranking (a common misspelling, an ending or apostrophe) comes alone.
    /// </summary>
    public (string Word, double Score)[] Rank(string word, IReadOnlyDictionary<string, int> rank)
    {
        if (s_common.TryGetValue(word, out var fixedWord))
        {
            return [(fixedWord, 0)];
        }

        if (word.Length is < 2 or > 18 || word.Contains('-') || word.Contains('\''))
        {
            return [];
        }

        if (Inflection(word) is { } inflected)
        {
            return [(inflected, 0)];
        }

        var best = (string?)null;
        var bestScore = double.MaxValue;
        var bestEdits = int.MaxValue;
        Span<char> buf = stackalloc char[20];
        var seen = new HashSet<int>();
        var close = new List<(string Word, double Score)>();
        void Consider(ReadOnlySpan<char> key, string input)
        {
            var h = Hash(key);
            var i = LowerBound(h);
            for (; i < _keys.Length && _keys[i] == h; i++)
            {
                var id = _ids[i];
                if (!seen.Add(id))
                {
                    continue;
                }

                var cand = _list[id];
                var d = EditDistance.Compute(input, cand, 2);
                if (d > 2)
                {
                    continue;
                }

                // Cheaper slips first (see TypoCost); then frequent words (learned ranks), the same first letter
                // (unless a short word's first two letters are swapped: "hte", "ahd") and the same regular ending
                // ("offened" is "offended", not "offend").
                var score = TypoCost.Compute(input, cand) * 10;
                score += 3 * (rank.TryGetValue(cand, out var r) ? Math.Log10(r + 10) : 6);
                if (cand[0] != input[0] && !(input.Length <= 3 && cand.Length > 1 && cand[0] == input[1] && cand[1] == input[0]))
                {
                    score += 3;
                }

                if (LosesEnding(input, cand))
                {
                    score += cand.Length < input.Length ? 3 : 1.5; // "offend" drops it; "provide" for "provied" only moves it
                }

                if (score <= bestScore + CloseMargin)
                {
                    close.Add((cand, score));
                }

                if (score < bestScore || (score == bestScore && string.CompareOrdinal(cand, best) < 0))
                {
                    bestScore = score;
                    best = cand;
                    bestEdits = d;
                }
            }
        }

        var w = word.AsSpan();
        Consider(w, word);
        for (var d = 0; d < w.Length; d++)
        {
            w[..d].CopyTo(buf);
            w[(d + 1)..].CopyTo(buf[d..]);
            Consider(buf[..(w.Length - 1)], word);
        }

        // Two words run together ("intune", "infact"): only when no frequent word is one edit away ("usefull" is
        // "useful", not "use full"), and both halves must be words students often write ("som thing" never).
        for (var cut = 2; cut <= word.Length - 2 && (best is null || bestEdits >= 2 || !rank.ContainsKey(best)); cut++)
        {
            if (rank.TryGetValue(word[..cut], out var ra) && rank.TryGetValue(word[cut..], out var rb) && Contains(word[..cut]) && Contains(word[cut..]))
            {
                var score = 10 + 3 * Math.Log10(Math.Max(ra, rb) + 10);
                if (score <= bestScore + CloseMargin)
                {
                    close.Add((string.Concat(word.AsSpan(0, cut), " ", word.AsSpan(cut)), score));
                }

                if (score < bestScore)
                {
                    bestScore = score;
                    best = string.Concat(word.AsSpan(0, cut), " ", word.AsSpan(cut));
                }
            }
        }

        // "happend" → "happened", "explaind" → "explained": a past tense missing its "e", where the nearest word drops
        // or changes the ending ("happen", "explains"); not "tierd" ("tired") or "chilld" ("child").
        var stem = word[..^1];
        if (word.Length >= 4 && word[^1] == 'd' && !"aeioud".Contains(word[^2]) && (best is null || best.StartsWith(stem, StringComparison.Ordinal))
            && _words.Contains(stem + "ed"))
        {
            return [(stem + "ed", 0)];
        }

        return best is null ? [] : Close(best, bestScore, close);
    }

    /// <summary>How far (in <see cref="Rank"/>'s score units; one slip costs about 10) a candidate may trail the best and still be returned.</summary>
    public const double CloseMargin = 6;

    /// <summary>The best candidate first, then the others within <see cref="CloseMargin"/> of it, cheapest first.</summary>
    private static (string Word, double Score)[] Close(string best, double bestScore, List<(string Word, double Score)> close)
    {
        var n = 1;
        for (var i = 0; i < close.Count; i++)
        {
            if (close[i].Score <= bestScore + CloseMargin && close[i].Word != best)
            {
                close[n - 1] = close[i];
                n++;
            }
        }

        var result = new (string Word, double Score)[n];
        result[0] = (best, bestScore);
        for (var i = 1; i < n; i++)
        {
            result[i] = close[i - 1];
        }

        for (var i = 2; i < n; i++) // insertion sort: a handful of candidates
        {
            var x = result[i];
            var j = i - 1;
            for (; j >= 1 && (result[j].Score > x.Score || (result[j].Score == x.Score && string.CompareOrdinal(result[j].Word, x.Word) > 0)); j--)
            {
                result[j + 1] = result[j];
            }

            result[j + 1] = x;
        }

        return result;
    }

    /// <summary>
    /// A regular ending or apostrophe the student got wrong, else null: plurals ("librarys" → "libraries", "shelfs" →
    /// "shelves", "relaxs" → "relaxes"), possessives ("todays" → "today's") and contractions without their apostrophe
    /// ("werent" → "weren't", "theres" → "there's"). The nearest word by edits would drop the ending ("library",
    /// "shelf", "there") and with it the meaning.
    /// </summary>
    private string? Inflection(string word)
    {
        string? Known(string candidate) => _words.Contains(candidate) ? candidate : null;

        var stem = word[..^1];
        if (word[^1] == 's' && s_apostropheS.Contains(stem) && Known(stem + "'s") is { } possessive)
        {
            return possessive; // before the plural: "nobodys" is "nobody's"
        }

        if (word[^1] == 's')
        {
            var plural = stem.EndsWith('y') && stem.Length > 2 && !"aeiou".Contains(stem[^2]) ? Known(string.Concat(stem.AsSpan(0, stem.Length - 1), "ies"))
                : stem.EndsWith('f') ? Known(string.Concat(stem.AsSpan(0, stem.Length - 1), "ves"))
                : stem.EndsWith("fe", StringComparison.Ordinal) ? Known(string.Concat(stem.AsSpan(0, stem.Length - 2), "ves"))
                : stem.EndsWith('x') || stem.EndsWith('z') || stem.EndsWith("ch", StringComparison.Ordinal) || stem.EndsWith("sh", StringComparison.Ordinal) ? Known(stem + "es")
                : null;
            if (plural is not null)
            {
                return plural;
            }
        }

        if (word.Length >= 4 && word.EndsWith("nt", StringComparison.Ordinal) && Known(string.Concat(word.AsSpan(0, word.Length - 1), "'t")) is { } negative)
        {
            return negative;
        }

        foreach (var ending in s_contractionEndings)
        {
            if (word.Length > ending.Length + 1 && word.EndsWith(ending, StringComparison.Ordinal)
                && Known(string.Concat(word.AsSpan(0, word.Length - ending.Length), "'", ending)) is { } contracted)
            {
                return contracted;
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="input"/> ends in "-ed" or "-ing" and <paramref name="candidate"/> does not.</summary>
    private static bool LosesEnding(string input, string candidate) =>
        (input.EndsWith("ed", StringComparison.Ordinal) && !candidate.EndsWith("ed", StringComparison.Ordinal))
        || (input.EndsWith("ing", StringComparison.Ordinal) && !candidate.EndsWith("ing", StringComparison.Ordinal));

    private int LowerBound(ulong h)
    {
        int lo = 0, hi = _keys.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_keys[mid] < h)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static ulong Hash(ReadOnlySpan<char> s)
    {
        var h = 14695981039346656037UL;
        foreach (var c in s)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        return h;
    }
}
