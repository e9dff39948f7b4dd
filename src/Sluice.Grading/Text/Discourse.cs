namespace Sluice.Grading.Text;

/// <summary>Finds transition words and phrases at sentence and clause starts.</summary>
internal static class Discourse
{
    private static readonly string[][] s_phrases = [.. WordLists.TransitionPhrases.Select(p => p.Split(' '))];

    /// <summary>The transition opening sentence <paramref name="sentence"/> (lower case), or null.</summary>
    public static string? OpeningTransition(EssayDocument doc, int sentence)
    {
        var s = doc.Sentences[sentence];
        var first = FirstWord(doc, s);
        if (first < 0)
        {
            return null;
        }

        foreach (var phrase in s_phrases)
        {
            if (MatchesPhrase(doc, first, s.FirstToken + s.TokenCount, phrase))
            {
                return string.Join(' ', phrase);
            }
        }

        return WordLists.Transitions.Contains(doc.Lower[first]) ? doc.Lower[first] : null;
    }

    /// <summary>Counts transitions at sentence starts and after commas/semicolons.</summary>
    public static int CountTransitions(EssayDocument doc)
    {
        var n = 0;
        var atClauseStart = true;
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            var t = doc.Tokens[i];
            if (t.Kind == TokenKind.Punctuation)
            {
                atClauseStart |= doc.Lower[i] is "," or ";" or "." or "!" or "?";
                continue;
            }

            if (i > 0 && doc.Tokens[i - 1].Sentence != t.Sentence)
            {
                atClauseStart = true;
            }

            if (atClauseStart && (WordLists.Transitions.Contains(doc.Lower[i]) || StartsPhrase(doc, i)))
            {
                n++;
            }

            atClauseStart = false;
        }

        return n;
    }

    /// <summary>True when an opening or closing marker (<paramref name="markers"/>) starts sentence <paramref name="sentence"/>.</summary>
    public static bool StartsWithMarker(EssayDocument doc, int sentence, HashSet<string> markers)
    {
        var s = doc.Sentences[sentence];
        var first = FirstWord(doc, s);
        if (first < 0)
        {
            return false;
        }

        if (markers.Contains(doc.Lower[first]))
        {
            return true;
        }

        var end = s.FirstToken + s.TokenCount;
        foreach (var m in markers)
        {
            if (m.Contains(' ') && MatchesPhrase(doc, first, end, m.Split(' ')))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when token <paramref name="token"/> is the first word of its sentence (opening quotes skipped).</summary>
    public static bool OpensSentence(EssayDocument doc, int token) => FirstWord(doc, doc.Sentences[doc.Tokens[token].Sentence]) == token;

    public static int FirstWord(EssayDocument doc, Sentence s)
    {
        for (var i = s.FirstToken; i < s.FirstToken + s.TokenCount; i++)
        {
            if (doc.Tokens[i].Kind != TokenKind.Punctuation)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool StartsPhrase(EssayDocument doc, int i)
    {
        foreach (var phrase in s_phrases)
        {
            if (doc.Lower[i] == phrase[0] && MatchesPhrase(doc, i, doc.Tokens.Count, phrase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool MatchesPhrase(EssayDocument doc, int start, int end, string[] phrase)
    {
        var k = start;
        foreach (var part in phrase)
        {
            if (k >= end || doc.Lower[k] != part)
            {
                return false;
            }

            k++;
        }

        return true;
    }
}
