using System.Collections.Frozen;
using Sluice.Grading.Text;

namespace Sluice.Grading.Grammar;

/// <summary>
/// Rule-based grammar, capitalization and punctuation checks over the token stream: a/an, repeated words, subject–verb
/// agreement for pronoun subjects, "could of", sentence-initial and pronoun capitalization, fragments starting with a
/// subordinator, run-ons, spacing around punctuation, repeated marks and a missing final mark. Precision over recall:
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

    /// <summary>Maximum words in a sentence with at most two commas before it is reported as a run-on.</summary>
    public const int RunOnWords = 50;

    public static void Check(EssayDocument doc, List<Suggestion> output)
    {
        var text = doc.Text;
        var tokens = doc.Tokens;
        var lower = doc.Lower;
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

            if (t.Kind == TokenKind.Word && w == "i" && text[t.Start] == 'i')
            {
                output.Add(new Suggestion("capitalization", "pronoun_i", "The pronoun \"I\" is always capitalized.", t.Start, 1, "I"));
            }

            if (next < 0 || tokens[next].Kind == TokenKind.Punctuation || tokens[next].Sentence != t.Sentence)
            {
                continue;
            }

            var nw = lower[next];
            var nt = tokens[next];
            // "a a" / "a an" is a repeated word (its own rule), not an article before a vowel sound.
            if ((w == "a" || w == "an") && t.Kind == TokenKind.Word && nt.Kind == TokenKind.Word && nw is not ("a" or "an") && (text[t.Start] == 'a' || IsSentenceStart(doc, i)))
            {
                var vowel = StartsWithVowelSound(nw);
                if (w == "a" && vowel)
                {
                    output.Add(new Suggestion("grammar", "a_an", $"Use \"an\" before a vowel sound: \"an {doc.Surface(next)}\".", t.Start, t.Length, text[t.Start] == 'A' ? "An" : "an"));
                }
                else if (w == "an" && !vowel && char.IsLetter(nw[0]))
                {
                    output.Add(new Suggestion("grammar", "a_an", $"Use \"a\" before a consonant sound: \"a {doc.Surface(next)}\".", t.Start, t.Length, text[t.Start] == 'A' ? "A" : "a"));
                }
            }

            if (w == nw && t.Kind == TokenKind.Word && !s_allowedRepeats.Contains(w))
            {
                output.Add(new Suggestion("grammar", "repeated_word", $"The word \"{doc.Surface(next)}\" is repeated.", t.Start, nt.End - t.Start, doc.Surface(i)));
            }

            if (s_agreement.TryGetValue((w, nw), out var fix) && !(i > 0 && lower[i - 1] is "if" or "wish" or "as"))
            {
                var rule = w is "could" or "should" or "would" or "must" ? "could_of" : w is "more" or "most" ? "double_comparative" : "agreement";
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

        if (tokens.Count > 0 && tokens[^1].Kind != TokenKind.Punctuation)
        {
            var last = tokens[^1];
            output.Add(new Suggestion("punctuation", "missing_final_punctuation", "End the essay with a period.", last.Start, last.Length, doc.Surface(tokens.Count - 1) + "."));
        }
    }

    private static void CheckSentence(EssayDocument doc, int index, List<Suggestion> output)
    {
        var s = doc.Sentences[index];
        var first = Discourse.FirstWord(doc, s);
        if (first < 0)
        {
            return;
        }

        var ft = doc.Tokens[first];
        // A lower-case "i" is already reported by the pronoun rule.
        if (ft.Kind == TokenKind.Word && char.IsLower(doc.Text[ft.Start]) && doc.Lower[first] != "i")
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

        if (s.WordCount is > 0 and < 10 && s_subordinators.Contains(doc.Lower[first]) && commas == 0 && doc.Text[s.End - 1] is '.' or '!')
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

        var spaceAfter = c is ',' or ';' && end < text.Length && char.IsLetter(text[end]);
        var spaceBefore = start < t.Start;
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

    private static bool IsSentenceStart(EssayDocument doc, int i) =>
        Discourse.FirstWord(doc, doc.Sentences[doc.Tokens[i].Sentence]) == i;

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
