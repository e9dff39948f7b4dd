using System.Collections.Frozen;
using Sluice.Grading.Features;
using Sluice.Grading.Spelling;
using Sluice.Grading.Text;

namespace Sluice.Grading.Structure;

/// <summary>
/// Essay-level feedback: over-long sentences, paragraphing, weak or missing transitions, and over-used vocabulary.
/// </summary>
internal static class StructureChecker
{
    /// <summary>Sentences longer than this (words) get a "long sentence" suggestion.</summary>
    public const int LongSentenceWords = 40;

    /// <summary>A single paragraph longer than this (words) gets a paragraphing suggestion.</summary>
    public const int SingleParagraphWords = 180;

    private static readonly FrozenDictionary<string, string> s_alternatives = new Dictionary<string, string>
    {
        ["good"] = "beneficial", ["bad"] = "harmful", ["things"] = "activities", ["thing"] = "aspect", ["stuff"] = "material", ["really"] = "truly",
        ["very"] = "extremely", ["lot"] = "great deal", ["big"] = "significant", ["nice"] = "pleasant", ["great"] = "excellent", ["important"] = "essential",
        ["people"] = "individuals", ["help"] = "assist", ["show"] = "demonstrate", ["think"] = "believe", ["also"] = "furthermore", ["get"] = "obtain",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // Alternatives that fit only some senses or uses of the word: named in the message as an idea, never offered as a
    // replacement to apply ("need help" → "need assist", "I also think" → "I furthermore think", "a good time" → "a
    // beneficial time", "get up" → "obtain up").
    private static readonly FrozenSet<string> s_hintOnly = new[] { "good", "bad", "things", "thing", "lot", "big", "help", "show", "also", "get" }
        .ToFrozenSet(StringComparer.Ordinal);

    /// <param name="profile">The prompt's vocabulary profile when grading against a prompt: its topic words ("computer",
    /// "dirigibles", "patient") are the essay's subject and are not reported as over-used.</param>
    public static void Check(EssayDocument doc, List<Suggestion> output, PromptProfile? profile = null)
    {
        var words = doc.WordCount;
        foreach (var s in doc.Sentences)
        {
            if (s.WordCount > LongSentenceWords)
            {
                output.Add(new Suggestion("style", "long_sentence", $"This sentence has {s.WordCount} words; sentences over {LongSentenceWords} words are hard to follow.", s.Start, s.End - s.Start));
            }
        }

        if (doc.ParagraphCount == 1 && words > SingleParagraphWords && doc.Sentences.Count > 0)
        {
            var first = doc.Sentences[0];
            output.Add(new Suggestion("structure", "paragraphing",
                $"The essay is one block of {words} words; break it into paragraphs (introduction, one paragraph per main point, conclusion).", first.Start, first.End - first.Start));
        }

        CheckTransitions(doc, output);
        CheckRepeatedVocabulary(doc, words, output, profile);
    }

    private static void CheckTransitions(EssayDocument doc, List<Suggestion> output)
    {
        var sentences = doc.Sentences.Count;
        if (sentences < 5)
        {
            return;
        }

        var opened = 0;
        for (var s = 0; s < sentences; s++)
        {
            if (Discourse.OpeningTransition(doc, s) is not null)
            {
                opened++;
            }
        }

        if (doc.ParagraphCount >= 2)
        {
            var reported = 0;
            for (var s = 1; s < sentences && reported < 3; s++)
            {
                var cur = doc.Sentences[s];
                if (cur.Paragraph != doc.Sentences[s - 1].Paragraph && Discourse.OpeningTransition(doc, s) is null && !IsDialogueOrSignOff(doc, cur)
                    && !IsLetterFrame(doc, s))
                {
                    output.Add(new Suggestion("structure", "paragraph_transition", "This paragraph starts without a transition; link it to the previous one (e.g. \"In addition,\" \"However,\" \"As a result,\").", cur.Start, OpeningLength(doc.Text, cur)));
                    reported++;
                }
            }
        }

        if (opened * 10 < sentences)
        {
            var mid = doc.Sentences[sentences / 2];
            output.Add(new Suggestion("structure", "weak_transitions",
                $"Only {opened} of {sentences} sentences start with a transition; use words like \"First,\" \"However,\" \"For example,\" \"In conclusion,\" to guide the reader.", mid.Start, OpeningLength(doc.Text, mid)));
        }
    }

    /// <summary>
    /// A paragraph a transition would not fit: a line of dialogue (it opens with a quotation mark, as narratives start a
    /// new paragraph for each speaker) or a line of one or two words ("Sincerely,", "THE END.", "FIN", a title).
    /// </summary>
    private static bool IsDialogueOrSignOff(EssayDocument doc, Sentence s) =>
        s.WordCount < 3 || doc.Text[s.Start] is '"' or '\'' or '\u201c' or '\u2018' or '\uFFFD';

    /// <summary>
    /// A paragraph of a letter's frame: the first of the body (after the salutation), a sign-off ("Yours truly, Maria")
    /// or the name under one. None of them links to the paragraph before.
    /// </summary>
    private static bool IsLetterFrame(EssayDocument doc, int sentence) =>
        LetterParts.IsSalutation(doc, sentence - 1) || LetterParts.IsSignOff(doc, sentence)
        || (LetterParts.IsNameLine(doc, sentence) && LetterParts.IsSignOff(doc, sentence - 1));

    /// <summary>
    /// The first 60 characters of a sentence, or fewer where the 60th would split a surrogate pair (an emoji) or leave a
    /// letter's combining accents ("Jose\u0301") outside: the page marks the span, and half a character shows detached.
    /// </summary>
    private static int OpeningLength(string text, Sentence s)
    {
        var length = Math.Min(s.End - s.Start, 60);
        while (length > 1 && length < s.End - s.Start && Tokenizer.IsCombiningMark(text[s.Start + length]))
        {
            length--;
        }

        return length < s.End - s.Start && char.IsHighSurrogate(text[s.Start + length - 1]) ? length - 1 : length;
    }

    private static void CheckRepeatedVocabulary(EssayDocument doc, int words, List<Suggestion> output, PromptProfile? profile)
    {
        if (words < 80)
        {
            return;
        }

        // Misspelled words already have a spelling suggestion (the spelling stage runs first); "vary your word choice"
        // would be the wrong advice for them.
        var misspelled = SpellChecker.CorrectionsIn(output);

        var skip = new HashSet<string>(StringComparer.Ordinal);

        var counts = new Dictionary<string, (int Count, int Third)>(StringComparer.Ordinal);
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            if (doc.Tokens[i].Kind != TokenKind.Word)
            {
                continue;
            }

            var w = doc.Lower[i];
            if (w.Length < 4 || WordLists.FunctionWords.Contains(w))
            {
                continue;
            }

            // Topic words are the subject, not a lack of vocabulary; vague words ("good", "things") are reported even so.
            if (misspelled.ContainsKey(doc.Tokens[i].Start) || (profile is not null && profile.TryGetIndex(w, out _) && !s_alternatives.ContainsKey(w)))
            {
                skip.Add(w);
            }

            counts.TryGetValue(w, out var c);
            counts[w] = (c.Count + 1, c.Count == 2 ? i : c.Third);
        }

        var limit = Math.Max(5, words / 40);
        var reported = 0;
        foreach (var (w, c) in counts.OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (c.Count < limit || reported >= 3)
            {
                break;
            }

            if (skip.Contains(w))
            {
                continue;
            }

            var t = doc.Tokens[c.Third];
            s_alternatives.TryGetValue(w, out var alt);
            if (alt is not null && char.IsUpper(doc.Text[t.Start]))
            {
                alt = char.ToUpperInvariant(alt[0]) + alt[1..]; // "People" → "Individuals" at a sentence start
            }

            output.Add(new Suggestion("vocabulary", "repeated_word_choice",
                $"\"{w}\" is used {c.Count} times; vary your word choice" + (alt is null ? "." : $" (e.g. \"{alt}\")."), t.Start, t.Length, s_hintOnly.Contains(w) ? null : alt));
            reported++;
        }
    }
}
