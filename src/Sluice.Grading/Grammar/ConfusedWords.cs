using System.Collections.Frozen;
using Sluice.Grading.Text;

namespace Sluice.Grading.Grammar;

/// <summary>
/// Real words written for another that sounds alike (there/their, your/you're, its/it's, then/than, to/too, loose/lose): the
/// spell checker cannot see them, and they are among students' most frequent errors. Each rule fires only in a context
/// where the written word cannot be meant ("their are", "its a", "better then", "spend to much", "to loose"), so a hit is almost always
/// real. Reported as <c>spelling</c> / <c>confused_word</c> (real-word spelling errors), which the scoring features do not
/// count: the committed model learned without them.
/// </summary>
internal static class ConfusedWords
{
    private static readonly FrozenSet<string> s_beVerbs = new[] { "is", "are", "was", "were", "isn't", "aren't", "wasn't", "weren't" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Words before which "there" is a possessive slip: prepositions and verbs taking an object ("with there friends").</summary>
    private static readonly FrozenSet<string> s_beforeOwner = new[]
    {
        "to", "with", "of", "for", "in", "on", "about", "from", "by", "at", "into", "all", "through", "during", "without",
        "and", "lose", "spend", "spent", "do", "help", "love", "tell", "ask", "use", "show", "take", "make", "get", "give",
        "keep", "change", "improve", "affect", "see", "visit", "call", "meet", "leave", "lost", "finish",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Nouns a student owns ("there friends"): after a word of <see cref="s_beforeOwner"/>, "there" cannot be the place.</summary>
    private static readonly FrozenSet<string> s_owned = new[]
    {
        "friends", "friend", "family", "families", "parents", "kids", "children", "lives", "life", "homes", "home", "house",
        "houses", "time", "money", "work", "homework", "jobs", "job", "computers", "computer", "bodies", "body", "health",
        "minds", "mind", "eyes", "hands", "heads", "names", "name", "school", "schools", "teachers", "rooms", "room", "car",
        "cars", "phones", "phone", "lunch", "mom", "dad", "mother", "father", "brother", "sister", "feelings", "opinion",
        "opinions", "skills", "grades", "brains", "brain", "hearts", "heart", "dreams", "goals",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>After "your" these read only as "you are" ("your not", "your always").</summary>
    private static readonly FrozenSet<string> s_afterYoure = new[] { "gonna", "not", "always", "never", "probably", "already" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>After "its" these read only as "it is" / "it has" ("its a", "its been"); no adjective ("its own", "its only").</summary>
    private static readonly FrozenSet<string> s_afterItIs = new[]
    {
        "a", "an", "the", "not", "been", "going", "so", "just", "because", "also", "always", "never", "really", "like",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> s_comparatives = new[]
    {
        "more", "less", "better", "worse", "rather", "other", "greater", "bigger", "smaller", "larger", "higher", "lower",
        "faster", "slower", "easier", "harder", "longer", "shorter", "fewer", "older", "younger", "smarter",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
/// Words after which "to much" / "to many" is a degree ("spend to much", "way to many", "is to much"), not a preposition
/// ("due to many", "been to many libraries").
/// </summary>
    private static readonly FrozenSet<string> s_beforeToo = new[]
    {
        "spend", "spending", "spent", "spends", "way", "is", "was", "be", "are", "were", "little", "far", "add", "adds",
        "added", "have", "has", "had", "cause", "causes", "caused", "put", "puts", "eat", "eats", "eating", "drink", "take",
        "takes", "taking", "watch", "watching", "waste", "wasting", "using",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> s_beforeVerb = new[]
    {
        "to", "will", "would", "could", "might", "can", "may", "don't", "didn't", "won't", "can't", "couldn't", "gonna", "shall", "must",
    }.ToFrozenSet(StringComparer.Ordinal);

    public static void Check(EssayDocument doc, List<Suggestion> output)
    {
        var lower = doc.Lower;
        for (var i = 0; i < lower.Length; i++)
        {
            if (doc.Tokens[i].Kind != TokenKind.Word)
            {
                continue;
            }

            var w = lower[i];
            var prev = Neighbour(doc, i, i - 1);
            var next = Neighbour(doc, i, i + 1);
            if (next is not null && doc.Tokens[i + 1].End < doc.Text.Length && doc.Text[doc.Tokens[i + 1].End] == '-')
            {
                // "your always-on phone": the next word belongs to a compound.
                next = null;
            }

            var (fix, message) = w switch
            {
                "their" when next is not null && s_beVerbs.Contains(next) =>
                    ("there", $"Use \"there\" here (\"there {next}\" says something exists); \"their\" means \"belonging to them\"."),
                "there" when next == "own" || (next is not null && prev is not null && s_beforeOwner.Contains(prev) && s_owned.Contains(next)) =>
                    ("their", $"Use \"their\" (\"belonging to them\") before \"{next}\"; \"there\" is a place."),
                "your" when next is not null && (s_afterYoure.Contains(next) || (next == "going" && Neighbour(doc, i, i + 2) == "to")) =>
                    ("you're", "Use \"you're\" (\"you are\") here; \"your\" means \"belonging to you\"."),
                "your" when next == "welcome" && Neighbour(doc, i, i + 2) is null =>
                    ("you're", "Use \"you're\" (\"you are\") here; \"your\" means \"belonging to you\"."),
                "its" when next is not null && s_afterItIs.Contains(next) =>
                    ("it's", "Use \"it's\" (\"it is\" or \"it has\") here; \"its\" means \"belonging to it\"."),
                "then" when prev is not null && s_comparatives.Contains(prev) =>
                    ("than", $"Use \"than\" to compare (\"{prev} than\"); \"then\" is about time."),
                "than" when prev == "and" || i == 0 || doc.Tokens[i - 1].Sentence != doc.Tokens[i].Sentence =>
                    ("then", "Use \"then\" (\"after that\") here; \"than\" compares."),
                "to" when next is "much" or "many" && ((prev is not null && s_beforeToo.Contains(prev)) || Neighbour(doc, i, i + 2) == "time") =>
                    ("too", $"Use \"too\" (\"more than enough\") here: \"too {next}\"; \"to\" is a preposition."),
                "loose" when (prev is not null && s_beforeVerb.Contains(prev)) || next == "weight" =>
                    ("lose", "Use \"lose\" (to no longer have); \"loose\" means \"not tight\"."),
                _ => (null, null),
            };

            if (fix is not null)
            {
                var t = doc.Tokens[i];
                output.Add(new Suggestion("spelling", "confused_word", message!, t.Start, t.Length, MatchCase(doc.Text.AsSpan(t.Start, t.Length), fix)));
            }
        }
    }

    /// <summary>The lower-cased word at <paramref name="j"/> when it is a word of the same sentence as <paramref name="i"/> with no mark between.</summary>
    private static string? Neighbour(EssayDocument doc, int i, int j)
    {
        if (j < 0 || j >= doc.Tokens.Count)
        {
            return null;
        }

        var t = doc.Tokens[j];
        if (t.Kind != TokenKind.Word || t.Sentence != doc.Tokens[i].Sentence)
        {
            return null;
        }

        // Adjacent tokens only: a mark between them ("more, then") breaks the pair; tokens j..i are all words when
        // every step is one token, so only |i − j| = 2 needs the middle one checked.
        if (Math.Abs(j - i) == 2 && doc.Tokens[(i + j) / 2].Kind == TokenKind.Punctuation)
        {
            return null;
        }

        return doc.Lower[j];
    }

    private static string MatchCase(ReadOnlySpan<char> written, string fix)
    {
        if (written.Length > 1 && char.IsUpper(written[0]) && char.IsUpper(written[1]))
        {
            return fix.ToUpperInvariant();
        }

        return char.IsUpper(written[0]) ? char.ToUpperInvariant(fix[0]) + fix[1..] : fix;
    }
}
