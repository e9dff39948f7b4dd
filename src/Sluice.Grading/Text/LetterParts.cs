using Sluice.Grading.Spelling;

namespace Sluice.Grading.Text;

/// <summary>
/// The frame of a letter (prompt 1 asks for one): a salutation ("Dear Local Newspaper,"), a sign-off ("Sincerely,",
/// "Yours truly, Maria") and the name under it. They are not sentences of the body: a sign-off or a name takes no full
/// stop, and the paragraph after a salutation is the first of the body, which needs no transition.
/// </summary>
internal static class LetterParts
{
    /// <summary>One-word closings; "from" and "love" only count when names alone follow (see <see cref="IsSignOff"/>).</summary>
    private static readonly HashSet<string> s_closings = new(StringComparer.Ordinal)
    {
        "sincerely", "respectfully", "regards", "cordially", "cheers", "love", "from", "thanks", "yours", "truly", "best",
    };

    /// <summary>The closings long enough to be recognised misspelt (see <see cref="Closing"/>).</summary>
    private static readonly string[] s_misspeltClosings = ["sincerely", "respectfully", "cordially"];

    /// <summary>Two-word closings.</summary>
    private static readonly HashSet<string> s_twoWordClosings = new(StringComparer.Ordinal)
    {
        "yours truly", "yours sincerely", "yours respectfully", "truly yours", "sincerely yours", "respectfully yours", "thanks again", "best regards", "kind regards",
        "warm regards", "best wishes", "thank you", "your friend", "your reader", "your student", "with love",
    };

    /// <summary>The longest sign-off line: the closing and a name with a title ("Sincerely yours, Mrs. Maria de la Cruz").</summary>
    private const int MaxSignOffWords = 8;

    /// <summary>A short line that opens "Dear …" or "To whom it may concern".</summary>
    public static bool IsSalutation(EssayDocument doc, int sentence)
    {
        return doc.Sentences[sentence].WordCount <= MaxSignOffWords && OpensWithSalutation(doc, sentence);
    }

    /// <summary>
    /// The essay opens with a title over the letter: a short first line of its own with no final punctuation, not a
    /// sign-off, with the salutation opening the next line ("Computers and Kids" above "Dear Local Newspaper,").
    /// </summary>
    public static bool StartsWithTitleAboveSalutation(EssayDocument doc)
    {
        if (doc.Sentences.Count < 2)
        {
            return false;
        }

        var title = doc.Sentences[0];
        var last = title.FirstToken + title.TokenCount - 1;
        return title.WordCount is > 0 and <= MaxSignOffWords && doc.Tokens[last].Kind != TokenKind.Punctuation
            && doc.Sentences[1].Paragraph != title.Paragraph && OpensWithSalutation(doc, 1) && !IsSignOff(doc, 0);
    }

    /// <summary>
    /// The sentence opens "Dear …" or "To whom …", on a line of its own or, as most ASAP letters do, running on into the
    /// body ("Dear Local Newspaper, I think …").
    /// </summary>
    private static bool OpensWithSalutation(EssayDocument doc, int sentence)
    {
        var first = Discourse.FirstWord(doc, doc.Sentences[sentence]);
        return first >= 0
            && (doc.Lower[first] == "dear" || (doc.Lower[first] == "to" && first + 1 < doc.Tokens.Count && doc.Lower[first + 1] == "whom"));
    }

    /// <summary>
    /// A closing ("Sincerely", "Yours truly", "Thank you") alone or followed by names only: "Thank you for reading" or
    /// "From my experience" are sentences, "Thank you, Maria" and "From @PERSON1" are not.
    /// </summary>
    public static bool IsSignOff(EssayDocument doc, int sentence)
    {
        var s = doc.Sentences[sentence];
        var first = Discourse.FirstWord(doc, s);
        var end = s.FirstToken + s.TokenCount;
        if (first < 0 || s.WordCount > MaxSignOffWords)
        {
            return false;
        }

        var closing = Closing(doc.Lower[first]);
        var after = first + 1 < end && doc.Tokens[first + 1].Kind == TokenKind.Word && s_twoWordClosings.Contains(closing + " " + Closing(doc.Lower[first + 1]))
            ? first + 2
            : s_closings.Contains(closing) ? first + 1 : -1;
        if (after < 0)
        {
            return false;
        }

        // The closing alone ("Sincerely" above the name) or followed by names, with or without a comma.
        return NamesOnly(doc, after < end && doc.Lower[after] == "," ? after + 1 : after, end);
    }

    /// <summary>
    /// The closing a student misspelt ("Sincerly", "Sinserely", "Respectfuly", "Yours truely"), else the word itself: a
    /// word at most two edits from a long closing, with its first three letters and at most one letter shorter (so not
    /// "sincere" or "respectful", which are words). The spell checker still reports the misspelling.
    /// </summary>
    private static string Closing(string word)
    {
        if (word.Length < 6 || s_closings.Contains(word))
        {
            return word;
        }

        if (word == "truely")
        {
            return "truly";
        }

        foreach (var closing in s_misspeltClosings)
        {
            if (word.Length >= closing.Length - 1 && word.AsSpan().StartsWith(closing.AsSpan(0, 3), StringComparison.Ordinal)
                && EditDistance.Compute(word, closing, 2) <= 2)
            {
                return closing;
            }
        }

        return word;
    }

    /// <summary>A line of at most four words that are all names (capitalised words, titles, ASAP's placeholders).</summary>
    public static bool IsNameLine(EssayDocument doc, int sentence)
    {
        var s = doc.Sentences[sentence];
        return s.WordCount is > 0 and <= 4 && NamesOnly(doc, s.FirstToken, s.FirstToken + s.TokenCount);
    }

    /// <summary>
    /// True when the essay's last line is a sign-off, or a name under one: the end of the letter, which takes no full
    /// stop.
    /// </summary>
    public static bool EndsWithSignature(EssayDocument doc)
    {
        var n = doc.Sentences.Count;
        return n > 0 && (IsSignOff(doc, n - 1) || (n > 1 && IsNameLine(doc, n - 1) && IsSignOff(doc, n - 2)));
    }

    /// <summary>Every token in [from, to) is a name or a title's full stop or a comma; no token at all counts too.</summary>
    private static bool NamesOnly(EssayDocument doc, int from, int to)
    {
        for (var k = from; k < to; k++)
        {
            var t = doc.Tokens[k];
            var ok = t.Kind switch
            {
                TokenKind.Placeholder => true,
                TokenKind.Word => char.IsUpper(doc.Text[t.Start]),
                TokenKind.Punctuation => doc.Lower[k] is "." or "," or "-",
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
