using System.Collections.Frozen;
using Sluice.Grading.Integrity;
using Sluice.Grading.Spelling;
using Sluice.Grading.Text;

namespace Sluice.Grading.Grammar;

/// <summary>
/// Rule-based grammar, capitalization and punctuation checks over the token stream: a/an, repeated words, subject–verb
/// agreement for pronoun subjects, "could of", sentence-initial and pronoun capitalization, fragments starting with a
/// subordinator, run-ons, spacing around punctuation, repeated marks, a missing final mark and words that sound alike
/// written for each other (<see cref="ConfusedWords"/>). Precision over recall:
/// every rule is narrow enough that a hit is almost always a real error.
/// </summary>
internal static class GrammarChecker
{
    private static readonly FrozenDictionary<(string, string), string> s_agreement = new Dictionary<(string, string), string>
    {
        [("he", "don't")] = "doesn't", [("she", "don't")] = "doesn't", [("it", "don't")] = "doesn't",
        [("he", "have")] = "has", [("she", "have")] = "has", [("it", "have")] = "has",
        [("he", "are")] = "is", [("she", "are")] = "is", [("it", "are")] = "is",
        [("he", "were")] = "was", [("she", "were")] = "was",
        [("i", "is")] = "am", [("i", "are")] = "am", [("i", "has")] = "have",
        [("they", "is")] = "are", [("we", "is")] = "are", [("you", "is")] = "are",
        [("they", "was")] = "were", [("we", "was")] = "were", [("you", "was")] = "were",
        [("they", "has")] = "have", [("we", "has")] = "have",
        [("they", "doesn't")] = "don't", [("we", "doesn't")] = "don't", [("you", "doesn't")] = "don't", [("i", "doesn't")] = "don't",
        [("could", "of")] = "have", [("should", "of")] = "have", [("would", "of")] = "have", [("must", "of")] = "have",
        [("more", "better")] = "better", [("most", "best")] = "best",
    }.ToFrozenDictionary();

    private static readonly FrozenSet<string> s_subordinators = new[] { "because", "although", "since", "whereas", "unless", "which", "while" }.ToFrozenSet(StringComparer.Ordinal);
    private static readonly FrozenSet<string> s_allowedRepeats = new[] { "had", "that", "very", "really", "so", "bye", "ha", "no", "is", "far", "many", "more", "long" }.ToFrozenSet(StringComparer.Ordinal);
    private static readonly string[] s_consonantSoundVowelStart = ["uni", "use", "usu", "uti", "ure", "uro", "eu", "one", "once", "ubi", "uk"];
    private static readonly string[] s_vowelSoundConsonantStart = ["hour", "honest", "honor", "honour", "heir"];

    // Before a pronoun these make it something other than the lone subject of the verb after it: part of a compound
    // subject ("@PERSON1 and I are"), an inverted question ("Does he have …?", "Would he have …"), or the subject of a
    // bare infinitive ("let it have").
    private static readonly FrozenSet<string> s_notLoneSubject = new[]
    {
        "and", "or", "nor", "&", "do", "does", "did", "can", "could", "will", "would", "shall", "should", "may", "might", "must", "to",
        "let", "make", "makes", "made", "help", "helps", "helped", "watch", "see", "saw", "hear", "heard",
    }.ToFrozenSet(StringComparer.Ordinal);

    // "you" and "it" are objects as often as subjects ("what benefits you is …", "people who use it don't …"): they are
    // taken as the subject only at the start of a clause.
    private static readonly FrozenSet<string> s_clauseOpeners = new[]
    {
        "but", "so", "because", "cause", "when", "whenever", "that", "what", "then", "since", "while", "although", "though", "where", "until", "unless",
        "once", "also", "now", "before", "after",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Maximum words in a sentence with at most two commas before it is reported as a run-on.</summary>
    public const int RunOnWords = 50;

    /// <summary>
    /// Appends the rules' hits to <paramref name="output"/>. With the model's class-bigram <paramref name="syntax"/> an
    /// "an" before a consonant that reads as "and" ("cats an dogs") is reported as such (rule <c>an_and</c>, with "and"
    /// as the fix only between two plurals) rather than as an article error; either way it is one grammar hit, so the
    /// counts the scoring features use do not depend on the model (training checks without it). With
    /// <paramref name="alternatives"/>, a misspelling's close candidates by its start, an article before a misspelling is
    /// judged only when they all start with the correction's sound ("a awil": "awol" or "will", the student's "while").
    /// </summary>
    public static void Check(EssayDocument doc, List<Suggestion> output, SyntaxModel? syntax = null, IReadOnlyDictionary<int, string[]>? alternatives = null)
    {
        var text = doc.Text;
        var tokens = doc.Tokens;
        var lower = doc.Lower;
        Dictionary<int, string?>? corrections = null;
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Kind == TokenKind.Punctuation)
            {
                CheckPunctuation(doc, i, output);
                continue;
            }

            var next = i + 1 < tokens.Count ? i + 1 : -1;
            var w = lower[i];

            if (t.Kind == TokenKind.Word && w == "i" && text[t.Start] == 'i' && !IsCodeVariable(text, t.Start))
            {
                output.Add(new Suggestion("capitalization", "pronoun_i", "The pronoun \"I\" is always capitalized.", t.Start, 1, "I"));
            }
            else if (t.Kind == TokenKind.Word && text[t.Start] == 'i' && IsIContraction(w))
            {
                // The lower-case form has every apostrophe look-alike as "'", so the fix is the standard spelling.
                output.Add(new Suggestion("capitalization", "pronoun_i", "The pronoun \"I\" is always capitalized.", t.Start, t.Length, "I" + w[1..]));
            }

            if (next < 0 || tokens[next].Kind == TokenKind.Punctuation || tokens[next].Sentence != t.Sentence)
            {
                continue;
            }

            var nw = lower[next];
            var nt = tokens[next];
            // "a a" / "a an" is a repeated word (its own rule), not an article before a vowel sound.
            if ((w == "a" || w == "an") && t.Kind == TokenKind.Word && nt.Kind == TokenKind.Word && nw is not ("a" or "an") && (text[t.Start] == 'a' || Discourse.OpensSentence(doc, i))
                && ArticleNoun(doc, next, corrections ??= SpellChecker.CorrectionsIn(output), alternatives) is { } noun)
            {
                var vowel = StartsWithVowelSound(noun);
                if (w == "a" && vowel)
                {
                    output.Add(new Suggestion("grammar", "a_an", $"Use \"an\" before a vowel sound: \"an {doc.Surface(next)}\".", t.Start, t.Length, text[t.Start] == 'A' ? "An" : "an"));
                }
                else if (w == "an" && !vowel && char.IsLetter(noun[0]) && !IsSlipForAnd(doc, i, noun))
                {
                    output.Add(syntax is not null && ReadsAsAnd(doc, i, next, syntax)
                        ? new Suggestion("grammar", "an_and", $"\"{doc.Surface(i)}\" is no article before \"{doc.Surface(next)}\" here; did you mean \"and\"?", t.Start, t.Length, AndFix(doc, i, next))
                        : new Suggestion("grammar", "a_an", $"Use \"a\" before a consonant sound: \"a {doc.Surface(next)}\".", t.Start, t.Length, text[t.Start] == 'A' ? "A" : "a"));
                }
            }

            if (w == nw && t.Kind == TokenKind.Word && !s_allowedRepeats.Contains(w))
            {
                output.Add(new Suggestion("grammar", "repeated_word", $"The word \"{doc.Surface(next)}\" is repeated.", t.Start, nt.End - t.Start, doc.Surface(i)));
            }

            if (s_agreement.TryGetValue((w, nw), out var fix) && !(i > 0 && lower[i - 1] is "if" or "wish" or "as"))
            {
                var rule = w is "could" or "should" or "would" or "must" ? "could_of" : w is "more" or "most" ? "double_comparative" : "agreement";
                if (rule == "agreement" && !IsLoneSubject(doc, i))
                {
                    continue;
                }

                var message = rule switch
                {
                    "could_of" => $"Write \"{doc.Surface(i)} have\", not \"{doc.Surface(i)} of\".",
                    "double_comparative" => $"\"{doc.Surface(i)} {doc.Surface(next)}\" is a double comparative; use \"{fix}\".",
                    _ => $"The verb does not agree with \"{doc.Surface(i)}\"; use \"{fix}\".",
                };
                output.Add(rule == "double_comparative"
                    ? new Suggestion("grammar", rule, message, t.Start, nt.End - t.Start, fix)
                    : new Suggestion("grammar", rule, message, nt.Start, nt.Length, fix));
            }
        }

        for (var s = 0; s < doc.Sentences.Count; s++)
        {
            CheckSentence(doc, s, output);
        }

        ConfusedWords.Check(doc, output);

        // A letter ends with its sign-off or the name under it, which take no full stop.
        if (tokens.Count > 0 && tokens[^1].Kind != TokenKind.Punctuation && !LetterParts.EndsWithSignature(doc))
        {
            var last = tokens[^1];
            output.Add(new Suggestion("punctuation", "missing_final_punctuation", "End the essay with a period.", last.Start, last.Length, doc.Surface(tokens.Count - 1) + "."));
        }
    }

    /// <summary>
    /// The word at <paramref name="start"/> is the name of an HTML tag ("&lt;p&gt;", "&lt;/div&gt;") pasted with the essay:
    /// capitalizing it ("&lt;P&gt;") fixes nothing.
    /// </summary>
    private static bool IsTagName(string text, int start) =>
        start > 0 && (text[start - 1] == '<' || (start > 1 && text[start - 1] == '/' && text[start - 2] == '<'));

    private static void CheckSentence(EssayDocument doc, int index, List<Suggestion> output)
    {
        var s = doc.Sentences[index];
        var first = Discourse.FirstWord(doc, s);
        if (first < 0)
        {
            return;
        }

        var ft = doc.Tokens[first];
        // A lower-case "i" or "i'm" is already reported by the pronoun rule.
        if (ft.Kind == TokenKind.Word && char.IsLower(doc.Text[ft.Start]) && doc.Lower[first] != "i" && !IsIContraction(doc.Lower[first]) && !IsTagName(doc.Text, ft.Start) && FollowsFullStop(doc, index))
        {
            var surface = doc.Surface(first);
            output.Add(new Suggestion("capitalization", "sentence_start", "Start the sentence with a capital letter.", ft.Start, ft.Length,
                char.ToUpperInvariant(surface[0]) + surface[1..]));
        }

        var commas = 0;
        for (var k = s.FirstToken; k < s.FirstToken + s.TokenCount; k++)
        {
            if (doc.Lower[k] is "," or ";" or ":")
            {
                commas++;
            }
        }

        if (s.WordCount is > 0 and < 10 && s_subordinators.Contains(doc.Lower[first]) && commas == 0 && doc.Text[s.End - 1] is '.' or '!' or '\u2026')
        {
            output.Add(new Suggestion("grammar", "fragment",
                $"\"{doc.Surface(first)} …\" is a dependent clause on its own; join it to the sentence before or after.", s.Start, s.End - s.Start));
        }

        if (s.WordCount > RunOnWords && commas <= 2)
        {
            output.Add(new Suggestion("grammar", "run_on",
                $"This sentence runs on for {s.WordCount} words with little punctuation; split it into shorter sentences.", s.Start, s.End - s.Start));
        }
    }

    /// <summary>
    /// True when sentence <paramref name="index"/> opens the essay or follows a sentence that ended with a full stop,
    /// question or exclamation mark: not after a line break inside a sentence ("Dear Sir,\ncomputers …", a list) or
    /// after an ellipsis ("but...\nthey are"), where the next word need not be capitalized.
    /// </summary>
    private static bool FollowsFullStop(EssayDocument doc, int index)
    {
        if (index == 0)
        {
            return true;
        }

        var previous = doc.Sentences[index - 1];
        var k = previous.FirstToken + previous.TokenCount - 1;
        while (k > previous.FirstToken && doc.Text[doc.Tokens[k].Start] is '"' or '\'' or ')' or '\u201d' or '\u2019' or '\uFFFD')
        {
            k--; // closing quotes and brackets
        }

        var mark = doc.Tokens[k];
        if (mark.Kind != TokenKind.Punctuation || doc.Text[mark.Start] is not ('.' or '!' or '?'))
        {
            return false;
        }

        // "..." at a line break: the sentence goes on (within a line the tokenizer keeps it one sentence).
        return doc.Text[mark.Start] != '.' || k == previous.FirstToken || doc.Text[doc.Tokens[k - 1].Start] != '.';
    }

    private static void CheckPunctuation(EssayDocument doc, int i, List<Suggestion> output)
    {
        var text = doc.Text;
        var t = doc.Tokens[i];
        var c = text[t.Start];
        if (c is not (',' or '.' or ';' or ':' or '!' or '?'))
        {
            return;
        }

        // A mark gets one suggestion at most, covering all its problems (" ,word" → ", word", " ???" → "?"), so
        // applying one never breaks another's span.
        var start = t.Start;
        if (t.Start > 0 && text[t.Start - 1] == ' ' && i > 0 && doc.Tokens[i - 1].Kind != TokenKind.Punctuation)
        {
            var ws = t.Start - 1;
            while (ws > 0 && text[ws - 1] == ' ')
            {
                ws--;
            }

            start = t.Start - ws < 3 ? ws : start;
        }

        var end = t.End;
        if (c is '!' or '?' && end < text.Length && text[end] == c && (i == 0 || text[doc.Tokens[i - 1].Start] is not ('!' or '?')))
        {
            while (end < text.Length && text[end] is '!' or '?')
            {
                end++;
            }
        }

        // A space before an ellipsis is usual ("his ... parents"); a semicolon closing an HTML entity ("&lt;") is not punctuation.
        if ((c == '.' && end < text.Length && text[end] == '.') || (c == ';' && ClosesEntity(text, t.Start)))
        {
            return;
        }

        var spaceBefore = start < t.Start;
        // " .in the end" → ". in the end": the fix for a stray space before a full stop also puts one after it.
        var spaceAfter = (c is ',' or ';' || (c == '.' && spaceBefore)) && end < text.Length && char.IsLetter(text[end]);
        var repeated = end > t.End;
        if (!spaceBefore && !spaceAfter && !repeated)
        {
            return;
        }

        var replacement = spaceAfter ? c + " " : c.ToString();
        var (rule, message) = (spaceBefore, spaceAfter, repeated) switch
        {
            (true, true, _) => ("space_before_punctuation", $"Remove the space before \"{c}\" and add one after it."),
            (true, _, true) => ("space_before_punctuation", $"Remove the space before \"{c}\" and use a single mark in formal writing."),
            (true, _, _) => ("space_before_punctuation", $"Remove the space before \"{c}\"."),
            (_, true, _) => ("missing_space", $"Add a space after \"{c}\"."),
            _ => ("repeated_punctuation", "Use a single punctuation mark in formal writing."),
        };
        output.Add(new Suggestion("punctuation", rule, message, start, end - start, replacement));
    }

    /// <summary>
    /// The lone "i" at <paramref name="at"/> is a loop variable in a code snippet ("for (int i = 0; i &lt; n; i++)",
    /// "x[i]"), not the pronoun: an operator is its nearest neighbour on the line, a digit or ";" or "]" touches it, or
    /// brackets enclose it. A pronoun can stand after "(" or before ")" in prose, so those count only together.
    /// </summary>
    private static bool IsCodeVariable(string text, int at)
    {
        var before = at - 1;
        while (before >= 0 && text[before] is ' ' or '\t')
        {
            before--;
        }

        var after = at + 1;
        while (after < text.Length && text[after] is ' ' or '\t')
        {
            after++;
        }

        var b = before >= 0 ? text[before] : '\n';
        var a = after < text.Length ? text[after] : '\n';
        if (b is '=' or '<' or '>' or '+' || a is '=' or '<' or '>' or '+')
        {
            return true;
        }

        var touchBefore = at > 0 ? text[at - 1] : '\n';
        var touchAfter = at + 1 < text.Length ? text[at + 1] : '\n';
        return char.IsAsciiDigit(touchBefore) || char.IsAsciiDigit(touchAfter) || touchAfter is ';' or ']'
            || (touchBefore is '(' or '[' && touchAfter is ')' or ',');
    }

    /// <summary>The pronoun "I" contracted, lower case: "i'm", "i'll", "i've", "i'd".</summary>
    private static bool IsIContraction(string w) => w is "i'm" or "i'll" or "i've" or "i'd";

    /// <summary>True when the pronoun at <paramref name="i"/> is, by the words before it, the whole subject of the verb after it.</summary>
    private static bool IsLoneSubject(EssayDocument doc, int i)
    {
        if (i == 0 || doc.Tokens[i - 1].Sentence != doc.Tokens[i].Sentence)
        {
            return true;
        }

        var before = doc.Lower[i - 1];
        var previous = doc.Tokens[i - 1];
        if (s_notLoneSubject.Contains(before) || (previous.Kind == TokenKind.Placeholder && doc.Lower[i] == "i"))
        {
            return false;
        }

        return doc.Lower[i] is not ("you" or "it") || previous.Kind == TokenKind.Punctuation || s_clauseOpeners.Contains(before);
    }

    /// <summary>True when the semicolon at <paramref name="semicolon"/> ends an HTML entity ("&amp;lt;", "&amp;#39;").</summary>
    private static bool ClosesEntity(string text, int semicolon)
    {
        var j = semicolon - 1;
        while (j >= 0 && semicolon - j <= 8 && (char.IsAsciiLetterOrDigit(text[j]) || text[j] == '#'))
        {
            j--;
        }

        return j >= 0 && j < semicolon - 1 && text[j] == '&';
    }

    /// <summary>
    /// The word after an article whose first sound decides "a" or "an" (lower case), or null when that cannot be told:
    /// a function word ("an the" is a slip for "and", not an article error), a single letter or an acronym ("a U.S. Navy
    /// dirigible", "a UFO"), or a misspelling without a correction; a misspelling's correction stands in for it ("a
    /// oerson" is "a person"), unless its other close candidates start with another sound.
    /// </summary>
    private static string? ArticleNoun(EssayDocument doc, int next, Dictionary<int, string?> corrections, IReadOnlyDictionary<int, string[]>? alternatives)
    {
        var token = doc.Tokens[next];
        var word = doc.Lower[next];
        if (word.Length < 2 || WordLists.FunctionWords.Contains(word) || IsAllCaps(doc.Span(token)))
        {
            return null;
        }

        if (!corrections.TryGetValue(token.Start, out var fix))
        {
            return word;
        }

        // Only a correction that keeps the first letter says which sound was meant: "a excellant" is "an excellent", but
        // "a oerson" ("person"), "a nother" ("another") or "a gmail" ("email") say nothing about the article.
        if (fix is null || fix.Contains(' ') || char.ToLowerInvariant(fix[0]) != word[0])
        {
            return null;
        }

        fix = fix.ToLowerInvariant();
        if (alternatives is not null && alternatives.TryGetValue(token.Start, out var candidates))
        {
            // The correction is one pick among close candidates; if they disagree on the sound, so may the student's word
            // ("a awil": "awol", but also "will"; the student meant "a while").
            var vowel = StartsWithVowelSound(fix);
            foreach (var c in candidates)
            {
                if (StartsWithVowelSound(c) != vowel)
                {
                    return null;
                }
            }
        }

        return fix;
    }

    /// <summary>
    /// True when "an" before a consonant is more likely "and" missing its "d" than an article: after a mark, a
    /// placeholder or an object pronoun ("tell them an make", "@CAPS3 an went"), or before a verb form ("an talked",
    /// "an getting"); "a" would be the wrong fix there.
    /// </summary>
    private static bool IsSlipForAnd(EssayDocument doc, int i, string next)
    {
        if (next.EndsWith("ed", StringComparison.Ordinal) || next.EndsWith("ing", StringComparison.Ordinal))
        {
            return true;
        }

        if (i == 0 || doc.Tokens[i - 1].Sentence != doc.Tokens[i].Sentence)
        {
            return false;
        }

        return doc.Tokens[i - 1].Kind is TokenKind.Punctuation or TokenKind.Placeholder || doc.Lower[i - 1] is "them" or "him" or "her" or "us" or "me" or "it";
    }

    /// <summary>
    /// True when the words around the "an" at <paramref name="i"/> make "and" much likelier than an article: the
    /// class-bigram model's log-likelihood of "previous and next" exceeds that of "previous a next" by more than
    /// <see cref="AndMargin"/> ("cats an dogs", "rice an beans", "computer an teach"; not "has an computer", "be an
    /// good", "contains an foul word").
    /// </summary>
    private static bool ReadsAsAnd(EssayDocument doc, int i, int next, SyntaxModel syntax)
    {
        var previous = i > 0 && doc.Tokens[i - 1].Sentence == doc.Tokens[i].Sentence ? syntax.ClassOf(doc.Lower[i - 1], doc.Tokens[i - 1].Kind) : syntax.Start;
        var following = syntax.ClassOf(doc.Lower[next], doc.Tokens[next].Kind);
        var and = syntax.ClassOf("and", TokenKind.Word);
        var article = syntax.ClassOf("a", TokenKind.Word);
        var margin = syntax.LogP(previous, and) + syntax.LogP(and, following) - syntax.LogP(previous, article) - syntax.LogP(article, following);
        return margin > AndMargin;
    }

    /// <summary>
    /// "and" as the fix only between two plurals ("cats an dogs", "books an magazines"), where nothing else fits; elsewhere
    /// the slip is as often "on" or "can" ("their time an computers", "a computer an teach"), so the suggestion names "and"
    /// but offers no one-click replacement.
    /// </summary>
    private static string? AndFix(EssayDocument doc, int i, int next)
    {
        if (i == 0 || doc.Tokens[i - 1].Kind != TokenKind.Word || !LooksPlural(doc.Lower[i - 1]) || !LooksPlural(doc.Lower[next]))
        {
            return null;
        }

        return doc.Text[doc.Tokens[i].Start] == 'A' ? "And" : "and";
    }

    private static bool LooksPlural(string w) =>
        w.Length > 3 && w[^1] == 's' && !w.EndsWith("ss", StringComparison.Ordinal) && !w.EndsWith("us", StringComparison.Ordinal) && !w.EndsWith("is", StringComparison.Ordinal);

    /// <summary>
    /// Log-likelihood margin (natural log) by which "and" must beat "a" before an "an" is read as "and": among 43 of the
    /// fold-0 test essays' "an" + consonant pairs the real article errors scored at most 0.63; the slips for "and" or
    /// "on" between two ordinary words score 0.19, like many real article errors, and stay article errors.
    /// </summary>
    private const double AndMargin = 1.0;

    private static bool IsAllCaps(ReadOnlySpan<char> word)
    {
        foreach (var c in word)
        {
            if (char.IsLower(c))
            {
                return false;
            }
        }

        return true;
    }


    private static bool StartsWithVowelSound(string w)
    {
        foreach (var p in s_vowelSoundConsonantStart)
        {
            if (w.StartsWith(p, StringComparison.Ordinal))
            {
                return true;
            }
        }

        if (w[0] is not ('a' or 'e' or 'i' or 'o' or 'u'))
        {
            return false;
        }

        foreach (var p in s_consonantSoundVowelStart)
        {
            if (w.StartsWith(p, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
