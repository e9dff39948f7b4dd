using System.Text;

namespace Sluice.Grading.Text;

/// <summary>
/// Splits an essay into tokens, sentences and paragraphs in one pass. Paragraph breaks are newlines or runs of
/// three or more spaces, which is how ASAP kept the students' paragraphing.
/// </summary>
internal static class Tokenizer
{
    private static readonly HashSet<string> s_abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "e.g", "i.e", "p.m", "a.m", "u.s", "prof", "mt",
    };

    public static EssayDocument Analyze(string text)
    {
        var tokens = new List<Token>(text.Length / 4);
        var sentences = new List<Sentence>();
        var paragraph = 0;
        var sentenceStartToken = 0;
        var sentenceStartChar = -1;
        var pendingBreak = false;
        var i = 0;

        void CloseSentence(int endChar)
        {
            if (tokens.Count > sentenceStartToken)
            {
                var words = 0;
                for (var k = sentenceStartToken; k < tokens.Count; k++)
                {
                    if (tokens[k].Kind != TokenKind.Punctuation)
                    {
                        words++;
                    }
                }

                sentences.Add(new Sentence(sentenceStartToken, tokens.Count - sentenceStartToken, sentenceStartChar, endChar, paragraph, words));
            }

            sentenceStartToken = tokens.Count;
            sentenceStartChar = -1;
        }

        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                var start = i;
                var newline = false;
                while (i < text.Length && char.IsWhiteSpace(text[i]))
                {
                    // Word processors and web pages break lines with form feeds, vertical tabs (Word's Shift+Enter),
                    // NEL and the Unicode line and paragraph separators rather than '\n'.
                    newline |= text[i] is '\n' or '\r' or '\v' or '\f' or '\u0085' or '\u2028' or '\u2029';
                    i++;
                }

                // ASAP kept line wraps and some students' spacing as runs of spaces too ("books, music,          magazines",
                // "I am   patient   at school"): a run between a word and a lower-case one continues the sentence, as does
                // a run before a dialogue tag ("Let's go!"   she said.), which the quote does not end either.
                if (newline || (i - start >= 3 && !(i < text.Length && char.IsLower(text[i]) && start > 0
                    && (!EndsSentence(text[start - 1]) || QuoteGoesOn(text, start - 1, i)))))
                {
                    pendingBreak = true;
                }

                continue;
            }

            if (pendingBreak)
            {
                pendingBreak = false;
                if (tokens.Count > 0)
                {
                    CloseSentence(LastEnd(tokens));
                    paragraph++;
                }
            }

            if (sentenceStartChar < 0)
            {
                sentenceStartChar = i;
            }

            int len;
            TokenKind kind;
            if (c == '@' && i + 1 < text.Length && char.IsAsciiLetterUpper(text[i + 1]))
            {
                len = 1;
                while (i + len < text.Length && char.IsAsciiLetterOrDigit(text[i + len]))
                {
                    len++;
                }

                kind = TokenKind.Placeholder;
            }
            else if (LetterWidth(text, i) is > 0 and var first)
            {
                len = first;
                while (i + len < text.Length)
                {
                    var d = text[i + len];
                    // Combining accents belong to their letter: "nai\u0308ve" (decomposed, as some keyboards and PDFs
                    // write it) is one word, not "nai" and "ve" with a spelling fix each.
                    if (LetterWidth(text, i + len) is > 0 and var width)
                    {
                        len += width;
                    }
                    else if (IsCombiningMark(d))
                    {
                        len++;
                    }
                    else if (IsInvisibleInWord(d) && i + len + 1 < text.Length && (LetterWidth(text, i + len + 1) > 0 || IsInvisibleInWord(text[i + len + 1])))
                    {
                        // Text pasted from a word processor or a web page keeps its soft hyphens and zero-width joiners:
                        // "coordi\u00ADnation" is one word, not "coordi" (a spelling fix) and "nation".
                        len++;
                    }
                    else if (IsApostrophe(d) && i + len + 1 < text.Length && LetterWidth(text, i + len + 1) is > 0 and var next)
                    {
                        len += 1 + next;
                    }
                    else if (d == '-' && i + len + 1 < text.Length && len < 30 && LetterWidth(text, i + len + 1) is > 0 and var after)
                    {
                        // Hyphenated compounds stay one token; the speller checks their parts.
                        len += 1 + after;
                    }
                    else
                    {
                        break;
                    }
                }

                kind = TokenKind.Word;
            }
            else if (char.IsDigit(c))
            {
                len = 1;
                while (i + len < text.Length && (char.IsDigit(text[i + len]) || (text[i + len] is '.' or ',' or ':' && i + len + 1 < text.Length && char.IsDigit(text[i + len + 1]))))
                {
                    len++;
                }

                while (i + len < text.Length && LetterWidth(text, i + len) is > 0 and var width)
                {
                    len += width; // 1st, 20th, 5pm
                }

                kind = TokenKind.Number;
            }
            else
            {
                len = 1;
                kind = TokenKind.Punctuation;
            }

            tokens.Add(new Token(i, len, kind, sentences.Count));
            var markStart = i;
            i += len;

            // The ellipsis character U+2026 ends a sentence as "..." does: before a capital, not before a lower-case word.
            if (kind == TokenKind.Punctuation && c is '.' or '!' or '?' or '\u2026')
            {
                // Swallow runs like "?!" or "...", and closing quotes/brackets, into the same sentence.
                var quoted = false;
                while (i < text.Length && text[i] is '.' or '!' or '?' or '\u2026' or '"' or '\'' or ')' or '\u201d' or '\u2019')
                {
                    quoted |= text[i] is '"' or '\'' or '\u201d' or '\u2019';
                    tokens.Add(new Token(i, 1, TokenKind.Punctuation, sentences.Count));
                    i++;
                }

                if ((c == '.' && IsAbbreviation(text, tokens)) || (NextIsLowerCase(text, i) && (IsEllipsis(text, markStart) || (c == '.' && IsDottedAbbreviation(text, markStart)))))
                {
                    continue; // "Mr. Smith", "but... they were", "at 5 p.m. we left"
                }

                if (c is '!' or '?' && quoted && NextIsLowerCase(text, i))
                {
                    continue; // a dialogue tag: "How are you?" she asks.
                }

                if (c == '.' && quoted && IsDialogueTag(text, i))
                {
                    continue; // "I'm tired." she said. (Only a speech verb: after a full stop a lower-case word may open a sentence.)
                }

                if (i >= text.Length || char.IsWhiteSpace(text[i]) || char.IsUpper(text[i]))
                {
                    CloseSentence(i);
                }
            }
        }

        CloseSentence(LastEnd(tokens));

        var lower = new string[tokens.Count];
        for (var k = 0; k < tokens.Count; k++)
        {
            var t = tokens[k];
            lower[k] = t.Kind == TokenKind.Punctuation ? text.Substring(t.Start, 1) : Lower(text.AsSpan(t.Start, t.Length));
        }

        return new EssayDocument(text, tokens, lower, sentences, sentences.Count == 0 ? 0 : paragraph + 1);
    }

    /// <summary>
    /// The closing quote at <paramref name="quote"/> leaves its sentence open for the lower-case word at
    /// <paramref name="next"/>: after a comma (<c>"Let's go,"   she said</c>), a question or exclamation mark
    /// (<c>"Let's go!"   she said</c>), or a full stop before a dialogue tag (<c>"Stop."   he said</c>), as within a line.
    /// </summary>
    private static bool QuoteGoesOn(string text, int quote, int next)
    {
        if (quote < 1 || text[quote] is not ('"' or '\'' or '\u201d' or '\u2019' or '\uFFFD'))
        {
            return false;
        }

        var mark = text[quote - 1];
        return mark is ',' or '!' or '?' || (mark == '.' && IsDialogueTag(text, next));
    }

    private static bool EndsSentence(char c) => c is '.' or '!' or '?' or '\u2026' or '"' or '\'' or ')' or '\u201d' or '\u2019' or '\uFFFD' or ':';

    /// <summary>True when the next character after spaces or tabs at <paramref name="i"/> is a lower-case letter.</summary>
    private static bool NextIsLowerCase(string text, int i)
    {
        while (i < text.Length && text[i] is ' ' or '\t')
        {
            i++;
        }

        return i < text.Length && char.IsLower(text[i]);
    }

    /// <summary>
    /// The lower-case words after <paramref name="i"/> (spaces or tabs first) are a dialogue tag: a speech verb first
    /// ("said Tom"), second ("she said", "mom asked") or third after a possessive ("my mom said").
    /// </summary>
    private static bool IsDialogueTag(string text, int i)
    {
        var verbs = WordLists.SpeechVerbs.GetAlternateLookup<ReadOnlySpan<char>>();
        var possessive = false;
        for (var n = 0; n < (possessive ? 3 : 2); n++)
        {
            while (i < text.Length && text[i] is ' ' or '\t')
            {
                i++;
            }

            // The tag opens lower-case ("she said"); a name may follow ("asked Tom", "my Mom said").
            var start = i;
            while (i < text.Length && (n > 0 ? char.IsLetter(text[i]) : char.IsLower(text[i])))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }

            var word = text.AsSpan(start, i - start);
            if (verbs.Contains(word))
            {
                return true;
            }

            possessive |= n == 0 && word is "my" or "his" or "her" or "their" or "our" or "your" or "the";
        }

        return false;
    }

    /// <summary>Two or more full stops from <paramref name="dot"/> on ("..", "..."), or the ellipsis character.</summary>
    private static bool IsEllipsis(string text, int dot) => text[dot] == '\u2026' || (text[dot] == '.' && dot + 1 < text.Length && text[dot + 1] == '.');

    /// <summary>The full stop at <paramref name="dot"/> closes a dotted abbreviation of single letters ("t.v.", "p.m.", "e.g.").</summary>
    private static bool IsDottedAbbreviation(string text, int dot) =>
        dot >= 3 && char.IsLetter(text[dot - 1]) && text[dot - 2] == '.' && char.IsLetter(text[dot - 3]) && (dot == 3 || !char.IsLetter(text[dot - 4]));

    private static int LastEnd(List<Token> tokens) => tokens.Count == 0 ? 0 : tokens[^1].End;

    private static bool IsAbbreviation(string text, List<Token> tokens)
    {
        var dot = tokens.Count - 1;
        while (dot > 0 && text[tokens[dot].Start] != '.')
        {
            dot--;
        }

        if (dot == 0 || tokens[dot - 1].Kind != TokenKind.Word || tokens[dot - 1].End != tokens[dot].Start)
        {
            return false;
        }

        var word = text.AsSpan(tokens[dot - 1].Start, tokens[dot - 1].Length);
        return s_abbreviations.GetAlternateLookup<ReadOnlySpan<char>>().Contains(word) || (word.Length == 1 && char.IsUpper(word[0]));
    }

    /// <summary>
    /// An apostrophe inside a word: the ASCII one, the curly one, ASAP's U+FFFD, the acute accent that keyboards without
    /// an apostrophe key type ("don\u00B4t"), and the backtick and left single quotation mark students type for it
    /// ("don`t", "don\u2018t"; ASAP has the backtick 80 times); only between letters, so an opening quote stays a quote.
    /// The modifier letter apostrophe U+02BC ("don\u02BCt", from some phone keyboards) is a letter, so it never breaks a
    /// word; <see cref="Lower"/> maps it too.
    /// </summary>
    private static bool IsApostrophe(char c) => c is '\'' or '\u2019' or '\uFFFD' or '\u00B4' or '\u2018' or '`';

    /// <summary>
    /// The invisible characters that sit inside a word without breaking it: soft hyphen, zero-width space (web pages put
    /// it into long words as a break opportunity), zero-width non-joiner and joiner, word joiner and zero-width no-break
    /// space (a byte order mark pasted mid-text).
    /// </summary>
    private static bool IsInvisibleInWord(char c) => c is '\u00AD' or '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF';

    // Every combining mark is at U+0300 or above: ASCII and Latin-1 text (nearly every essay) skips the category lookup.
    internal static bool IsCombiningMark(char c) => c >= '\u0300' && char.GetUnicodeCategory(c) is
        System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark or System.Globalization.UnicodeCategory.EnclosingMark;

    /// <summary>
    /// How many chars the letter at <paramref name="i"/> takes: 1 for a letter, 2 for a letter outside the Basic
    /// Multilingual Plane, a surrogate pair <see cref="char.IsLetter(char)"/> does not see as a letter ("\U0001D407ello",
    /// with the mathematical bold H that "fancy text" generators paste, would lose its H); 0 for none.
    /// </summary>
    internal static int LetterWidth(string text, int i)
    {
        var c = text[i];
        if (!char.IsHighSurrogate(c))
        {
            return char.IsLetter(c) ? 1 : 0;
        }

        return i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) && Rune.IsLetter(new Rune(c, text[i + 1])) ? 2 : 0;
    }

    private static string Lower(ReadOnlySpan<char> s)
    {
        // A ligature becomes up to three letters.
        Span<char> buf = s.Length <= 128 ? stackalloc char[s.Length * 3] : new char[s.Length * 3];
        var n = 0;
        for (var k = 0; k < s.Length; k++)
        {
            var ch = s[k];
            // Decomposed accents are dropped (the server runs without ICU, so it cannot compose them): a decomposed
            // "nai\u0308ve" is looked up as "naive", the dictionary's spelling, rather than as an unknown word.
            if (IsCombiningMark(ch) || IsInvisibleInWord(ch))
            {
                continue;
            }

            // Text copied from a PDF keeps its typographic ligatures: "e\uFB00ect" is looked up as "effect".
            if (ch is >= '\uFB00' and <= '\uFB06')
            {
                var letters = Ligature(ch);
                letters.CopyTo(buf[n..]);
                n += letters.Length;
                continue;
            }

            if (char.IsHighSurrogate(ch) && k + 1 < s.Length && char.IsLowSurrogate(s[k + 1]))
            {
                var rune = new Rune(ch, s[k + 1]);
                k++;
                // Mathematical letters are styled Latin letters, as ligatures are joined ones (both compatibility forms):
                // "\U0001D407ello" is looked up as "hello".
                if (rune.Value is >= MathLatinFirst and <= MathLatinLast)
                {
                    buf[n++] = (char)('a' + ((rune.Value - MathLatinFirst) % 52 % 26));
                }
                else
                {
                    n += Rune.ToLowerInvariant(rune).EncodeToUtf16(buf[n..]);
                }

                continue;
            }

            // ASAP replaced curly apostrophes with U+FFFD; every apostrophe look-alike counts as an apostrophe.
            buf[n++] = ch is '\u02BC' || IsApostrophe(ch) ? '\'' : char.ToLowerInvariant(ch);
        }

        return new string(buf[..n]);
    }

    /// <summary>
    /// The mathematical alphanumeric Latin letters: thirteen styles (bold, italic, script, fraktur, double-struck,
    /// sans-serif, monospace …) of A-Z then a-z each. The few code points left unassigned (italic h is U+210E, not
    /// U+1D455) are not letters, so no word holds them.
    /// </summary>
    private const int MathLatinFirst = 0x1D400;

    private const int MathLatinLast = 0x1D6A3;

    private static ReadOnlySpan<char> Ligature(char c) => c switch
    {
        '\uFB00' => "ff",
        '\uFB01' => "fi",
        '\uFB02' => "fl",
        '\uFB03' => "ffi",
        '\uFB04' => "ffl",
        _ => "st", // U+FB05 long s + t, U+FB06 s + t
    };
}
