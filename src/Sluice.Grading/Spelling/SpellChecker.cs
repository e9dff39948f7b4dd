using System.Collections.Concurrent;
using Sluice.Grading.Integrity;
using Sluice.Grading.Text;

namespace Sluice.Grading.Spelling;

/// <summary>Finds misspelled words and proposes corrections; ASAP placeholders, numbers and acronyms are skipped.</summary>
internal sealed class SpellChecker(SpellDictionary dictionary)
{
    /// <summary>Most suggestions computed per essay; beyond that misspellings are still counted (bounds garbage input).</summary>
    public const int MaxSuggestions = 150;

    /// <summary>Most rankings cached; past it the cache starts afresh (garbage input must not grow memory without limit).</summary>
    internal const int MaxCached = 100_000;

    private readonly ConcurrentDictionary<string, (string Word, double Score)[]> _cache = new(StringComparer.Ordinal);

    /// <summary>
    /// Entries added to <see cref="_cache"/>, approximately: its Count takes every lock of the dictionary, so concurrent
    /// graders reading it on each miss queued behind one another. Off by at most the adds racing a clear.
    /// </summary>
    private int _cached;
    private IReadOnlyDictionary<string, int> _rank = new Dictionary<string, int>(StringComparer.Ordinal);
    private SyntaxModel? _syntax;

    public SpellDictionary Dictionary => dictionary;

    /// <summary>Ranks suggestions by the model's word frequencies (most common first); set once, before grading.</summary>
    public void SetFrequencyRanking(IReadOnlyList<string> commonWords)
    {
        _rank = SpellDictionary.Ranking(commonWords);
        _cache.Clear();
        Volatile.Write(ref _cached, 0);
    }

    /// <summary>
    /// The model's class-bigram word-order model, which ranks close candidates by the words around the misspelling
    /// ("thet was" → "that", "thet were" → "they"); set once, before grading. Without it the ranking ignores context.
    /// </summary>
    public void SetContextModel(SyntaxModel syntax) => _syntax = syntax;

    /// <summary>
    /// Weight of the context log-likelihood (natural log) against the candidates' scores, in which a factor of ten in word
    /// frequency rank weighs 3 (<see cref="SpellDictionary.Rank"/>): 1.3 weighs a nat of context as a nat of frequency.
    /// </summary>
    private const double ContextWeight = 1.3;

    /// <summary>
    /// Appends one suggestion per misspelling (up to <see cref="MaxSuggestions"/>) and returns the misspelling count;
    /// <paramref name="alternatives"/>, when given, receives the close candidates of each misspelling that had more than
    /// one, by its start (the a/an rule asks whether they agree on the first sound).
    /// </summary>
    public int Check(EssayDocument doc, List<Suggestion> output, Dictionary<int, string[]>? alternatives = null)
    {
        var (names, openingNames) = Names(doc);
        var count = 0;
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            var t = doc.Tokens[i];
            if (t.Kind != TokenKind.Word || IsAcronym(doc.Span(t)))
            {
                continue;
            }

            var w = doc.Lower[i];
            if (dictionary.Contains(w) || !HasLatinLetter(w) || InWebAddress(doc.Text, t.Start, t.End))
            {
                // A word in another script ("日本", "שלום", "привет") is not an English misspelling, and no replacement fits
                // it; nor is a part of a pasted link or e-mail address ("https", "edu"), which a replacement would break.
                continue;
            }

            string? name = null;
            if (names?.TryGetValue(w, out name) == true && IsTitleCase(doc.Span(t)))
            {
                continue; // a name the essay capitalizes inside a sentence ("Saeng", "Narciso"), also where it opens one
            }

            count++;
            if (openingNames?.Contains(w) == true)
            {
                // A name the essay writes only where it opens a sentence ("Saeng walked home. Saeng was sad."): no "fix"
                // ("Sang"), but still counted, as training counted it, so the scores do not move.
                continue;
            }

            if (count > MaxSuggestions)
            {
                continue;
            }

            // A name written in lower case gets its capitals back; two words run together at a capital ("thereI") get
            // their space; anything else the likeliest correction.
            string? other = null;
            var fix = name ?? SplitAtCapital(doc.Span(t)) ?? Suggest(doc, i, alternatives, out other);
            if (fix is not null && name is null && char.IsUpper(doc.Text[t.Start]))
            {
                fix = char.ToUpperInvariant(fix[0]) + fix[1..];
                other = other is null ? null : char.ToUpperInvariant(other[0]) + other[1..];
            }

            var surface = doc.Surface(i);
            output.Add(new Suggestion("spelling", "misspelling",
                fix is null ? $"\"{surface}\" is not in the dictionary."
                : other is null ? $"\"{surface}\" may be misspelled; did you mean \"{fix}\"?"
                : $"\"{surface}\" may be misspelled; did you mean \"{fix}\" or \"{other}\"?",
                t.Start, t.Length, fix));
        }

        return count;
    }

    /// <summary>Rankings cached now (tests check the bound).</summary>
    internal int CachedCount => _cache.Count;

    public string? Suggest(string lowerWord)
    {
        var ranked = Ranked(lowerWord);
        return ranked.Length == 0 ? null : ranked[0].Word;
    }

    /// <summary>
    /// The correction of the misspelt word at token <paramref name="i"/>, the close candidates ranked by the words around
    /// it; <paramref name="other"/> is the runner-up when it trails by at most <see cref="OtherMargin"/> (else null).
    /// </summary>
    private string? Suggest(EssayDocument doc, int i, Dictionary<int, string[]>? alternatives, out string? other)
    {
        other = null;
        var ranked = Ranked(doc.Lower[i]);
        if (ranked.Length == 0)
        {
            return null;
        }

        if (ranked.Length > 1 && alternatives is not null)
        {
            var words = new string[ranked.Length];
            for (var k = 0; k < ranked.Length; k++)
            {
                words[k] = ranked[k].Word;
            }

            alternatives[doc.Tokens[i].Start] = words;
        }

        if (ranked.Length == 1)
        {
            return ranked[0].Word;
        }

        if (_syntax is null)
        {
            other = ranked[1].Score - ranked[0].Score <= OtherMargin ? ranked[1].Word : null;
            return ranked[0].Word;
        }

        return InContext(doc, i, ranked, _syntax, out other);
    }

    private (string Word, double Score)[] Ranked(string lowerWord)
    {
        if (_cache.TryGetValue(lowerWord, out var hit))
        {
            return hit;
        }

        var ranked = dictionary.Rank(lowerWord, _rank);
        if (Volatile.Read(ref _cached) > MaxCached)
        {
            Volatile.Write(ref _cached, 0);
            _cache.Clear(); // bounded: garbage input must not grow memory without limit
        }

        // Two graders missing the same word rank it alike: the first one's ranking stays, and it alone is counted.
        if (_cache.TryAdd(lowerWord, ranked))
        {
            Interlocked.Increment(ref _cached);
        }

        return ranked;
    }

    /// <summary>
    /// The candidate likeliest between its neighbours: each one's score less <see cref="ContextWeight"/> × the class-bigram
    /// log-likelihood of its class after the previous word and before the next (log P(c | previous) + log P(next | c) −
    /// log P(c): the frequency rank already counts how common the word is).
    /// </summary>
    private static string InContext(EssayDocument doc, int i, (string Word, double Score)[] ranked, SyntaxModel syntax, out string? other)
    {
        var sentence = doc.Tokens[i].Sentence;
        var previous = syntax.Start;
        for (var j = i - 1; j >= 0 && doc.Tokens[j].Sentence == sentence; j--)
        {
            if (doc.Tokens[j].Kind != TokenKind.Punctuation)
            {
                previous = syntax.ClassOf(doc.Lower[j], doc.Tokens[j].Kind);
                break;
            }
        }

        var next = -1;
        for (var j = i + 1; j < doc.Tokens.Count && doc.Tokens[j].Sentence == sentence; j++)
        {
            if (doc.Tokens[j].Kind != TokenKind.Punctuation)
            {
                next = syntax.ClassOf(doc.Lower[j], doc.Tokens[j].Kind);
                break;
            }
        }

        var best = ranked[0].Word;
        var bestScore = double.MaxValue;
        string? second = null;
        var secondScore = double.MaxValue;
        foreach (var (word, score) in ranked)
        {
            var total = score;
            if (!word.Contains(' '))
            {
                var c = syntax.ClassOf(word, TokenKind.Word);
                var ll = syntax.LogP(previous, c) - syntax.Unigram[c] + (next >= 0 ? syntax.LogP(c, next) : 0);
                total -= ContextWeight * ll;
            }

            if (total < bestScore)
            {
                (second, secondScore) = (best, bestScore);
                bestScore = total;
                best = word;
            }
            else if (total < secondScore)
            {
                (second, secondScore) = (word, total);
            }
        }

        other = second is not null && secondScore - bestScore <= OtherMargin ? second : null;
        return best;
    }

    /// <summary>
    /// How far (in <see cref="SpellDictionary.Rank"/>'s score units, about a fifth of a slip) the runner-up may trail the
    /// correction, after the context, and still be named beside it: "buttom" is "bottom" or "button", and neither the
    /// slip, the frequency nor the words around it can tell. On the held-out essays the runner-up within this margin was
    /// the intended word where the correction was not about one time in six; 2 to 3 points behind, in none of those read.
    /// </summary>
    private const double OtherMargin = 2;

    /// <summary>
    /// A word whose best correction scores below this in <see cref="SpellDictionary.Rank"/>'s units is misspelt even when
    /// the essay writes it only at sentence starts: one slip (10) from one of the 500 commonest words (3 × log10 rank ≈ 8)
    /// or closer. "Saeng" → "sang" scores 18.7, "Finaly" → "finally" 12.3, "Casue" → "cause" 14.6.
    /// </summary>
    private const double MinOpeningNameScore = 18;

    /// <summary>Marks, in <see cref="Names"/>' count of a word's sentence openings, a word also written some other way.</summary>
    private const int WrittenOtherwise = -1;

    /// <summary>
    /// The essay's names, found in one pass over its words outside the dictionary. <c>Names</c> (lower case → surface):
    /// words written in title case inside a sentence. ASAP replaced the students' own names with placeholders, but not
    /// those of the source texts' people ("Saeng", "Narciso", "Kurmaskie", "Amidon"). <c>Openers</c>: words that open two
    /// or more sentences in title case and appear in no other form ("Saeng walked home. … Saeng was sad."), which are
    /// names the essay happens to put first, unless a common word is close (see <see cref="MinOpeningNameScore"/>).
    /// Either is null when there are none.
    /// </summary>
    private (Dictionary<string, string>? Names, HashSet<string>? Openers) Names(EssayDocument doc)
    {
        Dictionary<string, string>? names = null;
        Dictionary<string, int>? openings = null; // opening count, or WrittenOtherwise
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            var t = doc.Tokens[i];
            if (t.Kind != TokenKind.Word || dictionary.Contains(doc.Lower[i]))
            {
                continue;
            }

            var w = doc.Lower[i];
            var titled = IsTitleCase(doc.Span(t));
            var opens = titled && Discourse.OpensSentence(doc, i);
            openings ??= new Dictionary<string, int>(StringComparer.Ordinal);
            var n = openings.GetValueOrDefault(w);
            openings[w] = opens && n != WrittenOtherwise ? n + 1 : opens ? n : WrittenOtherwise;
            if (titled && !opens && i > 0 && doc.Tokens[i - 1].Sentence == t.Sentence)
            {
                names ??= new Dictionary<string, string>(StringComparer.Ordinal);
                names.TryAdd(w, doc.Surface(i));
            }
        }

        if (openings is null)
        {
            return (names, null);
        }

        HashSet<string>? openers = null;
        foreach (var (w, n) in openings)
        {
            // Written any other way ("thay"; a title-case "Thay" inside a sentence is already a name) it is a misspelling;
            // so is a close, cheap correction to a common word however often it opens a sentence ("Finaly", "Casue",
            // "Thats"); a contraction without its apostrophe or with a wrong one ("There're") is no name either.
            if (n < 2 || (w.Contains('\'') && !w.EndsWith("'s", StringComparison.Ordinal)))
            {
                continue;
            }

            var ranked = Ranked(w);
            if (ranked.Length == 0 || ranked[0].Score >= MinOpeningNameScore)
            {
                openers ??= new HashSet<string>(StringComparer.Ordinal);
                openers.Add(w);
            }
        }

        return (names, openers);
    }

    /// <summary>
    /// The corrections of the misspellings already reported in <paramref name="output"/> (null where there is none), by
    /// the misspelt word's start: later stages read them rather than checking the words again.
    /// </summary>
    public static Dictionary<int, string?> CorrectionsIn(List<Suggestion> output)
    {
        var map = new Dictionary<int, string?>();
        foreach (var s in output)
        {
            if (s.Rule == "misspelling")
            {
                map[s.Start] = s.Replacement;
            }
        }

        return map;
    }

    /// <summary>A capital followed by at least one letter and no other capital ("Saeng", "Saeng's").</summary>
    private static bool IsTitleCase(ReadOnlySpan<char> s)
    {
        if (s.Length < 2 || !char.IsUpper(s[0]))
        {
            return false;
        }

        foreach (var c in s[1..])
        {
            if (char.IsUpper(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>"thereI" → "there I", "youThe" → "you The": two dictionary words run together at a capital, else null.</summary>
    private string? SplitAtCapital(ReadOnlySpan<char> s)
    {
        if (!char.IsLower(s[0]))
        {
            return null; // "PowerPoint", "McDonalds"
        }

        for (var k = 2; k < s.Length; k++)
        {
            if (char.IsUpper(s[k]) && char.IsLower(s[k - 1]))
            {
                var left = s[..k].ToString();
                var right = s[k..].ToString();
                return dictionary.Contains(left.ToLowerInvariant()) && dictionary.Contains(right.ToLowerInvariant()) ? left + " " + right : null;
            }
        }

        return null;
    }

    /// <summary>
    /// True when the word at <paramref name="start"/>..<paramref name="end"/> is part of a URL ("https://…") or an e-mail
    /// address ("jane.doe@school.edu"): the run of non-space characters around it holds "://", or an '@' between a letter
    /// or digit and a later '.'. ASAP's placeholders ("@CAPS1") start a run, so they never count as an address.
    /// </summary>
    private static bool InWebAddress(string text, int start, int end)
    {
        var from = start;
        while (from > 0 && !char.IsWhiteSpace(text[from - 1]))
        {
            from--;
        }

        var to = end;
        while (to < text.Length && !char.IsWhiteSpace(text[to]))
        {
            to++;
        }

        var run = text.AsSpan(from, to - from);
        if (run.Contains("://", StringComparison.Ordinal))
        {
            return true;
        }

        var at = run.IndexOf('@');
        return at > 0 && char.IsLetterOrDigit(run[at - 1]) && run[(at + 1)..].TrimEnd(".,;:!?)\"'\u201D\u2019").Contains('.');
    }

    /// <summary>True when the lower-cased word has a letter of the Latin script (ASCII, Latin-1, Latin Extended).</summary>
    private static bool HasLatinLetter(string lower)
    {
        foreach (var c in lower)
        {
            if (c is >= 'a' and <= 'z' or >= '\u00DF' and <= '\u024F' or >= '\u1E00' and <= '\u1EFF')
            {
                return true;
            }
        }

        return false;
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
