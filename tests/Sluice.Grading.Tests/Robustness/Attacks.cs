using Sluice.Grading.Text;

namespace Sluice.Grading.Tests.Robustness;

/// <summary>The manipulations the AES robustness literature uses to fool graders, applied to real essays.</summary>
internal static class Attacks
{
    /// <summary>Made-up one-line statements of each ASAP task (the real prompt texts are not in ../shared).</summary>
    public static readonly Dictionary<int, string> PromptTexts = new()
    {
        [1] = "Write a letter to your local newspaper in which you state your opinion on the effects computers have on people. Persuade the readers to agree with you.",
        [2] = "Write a persuasive essay to a newspaper reflecting your views on censorship in libraries. Should materials such as books, music, movies and magazines be removed from the shelves if they are found offensive?",
        [3] = "Write a response that explains how the features of the setting affect the cyclist. In your response, include examples from the essay that support your conclusion.",
        [4] = "Read the last paragraph of the story. Write a response that explains why the author concludes the story with this paragraph, using details and examples from the story.",
        [5] = "Describe the mood created by the author in the memoir. Support your answer with relevant and specific information from the memoir.",
        [6] = "Based on the excerpt, describe the obstacles the builders of the Empire State Building faced in attempting to allow dirigibles to dock there.",
        [7] = "Write a story about a time when you were patient, or write about a time when someone you know was patient, or write about patience in your own way.",
        [8] = "We all understand the benefits of laughter. Tell a true story in which laughter was one element or part of the story.",
    };

    private static readonly string[] s_transitions = ["Furthermore, ", "Moreover, ", "In addition, ", "Consequently, ", "Therefore, ", "Additionally, ", "However, ", "As a result, "];

    private static readonly Dictionary<string, string> s_synonyms = new(StringComparer.Ordinal)
    {
        ["big"] = "large", ["small"] = "little", ["happy"] = "glad", ["sad"] = "unhappy", ["important"] = "significant", ["help"] = "assist",
        ["helps"] = "assists", ["show"] = "demonstrate", ["shows"] = "demonstrates", ["start"] = "begin", ["started"] = "began", ["quickly"] = "rapidly",
        ["often"] = "frequently", ["maybe"] = "perhaps", ["also"] = "additionally", ["kids"] = "children", ["mad"] = "angry", ["hard"] = "difficult",
        ["whole"] = "entire", ["buy"] = "purchase", ["enough"] = "sufficient", ["begin"] = "start", ["friends"] = "companions", ["problem"] = "issue",
        ["problems"] = "issues", ["answer"] = "response", ["easy"] = "simple", ["smart"] = "clever", ["scared"] = "afraid", ["funny"] = "amusing",
    };

    public static string[] Sentences(string text)
    {
        var doc = Tokenizer.Analyze(text);
        return [.. Enumerable.Range(0, doc.Sentences.Count).Select(doc.SentenceText)];
    }

    /// <summary>Padding: the essay followed by its own paragraphs again.</summary>
    public static string RepeatParagraphs(string text) => text + "\n\n" + text;

    /// <summary>Padding: the second half of the sentences repeated at the end.</summary>
    public static string RepeatSecondHalf(string text)
    {
        var s = Sentences(text);
        return text + "\n\n" + string.Join(' ', s.Skip(s.Length / 2));
    }

    private static readonly Dictionary<string, string[]> s_entities = new(StringComparer.Ordinal)
    {
        ["PERSON"] = ["Maria", "James", "Sofia", "Ethan"], ["CAPS"] = ["Smith", "Lopez", "Walmart", "Jordan"], ["NUM"] = ["12", "3", "45", "7"],
        ["LOCATION"] = ["Boston", "Chicago", "Denver", "Ohio"], ["ORGANIZATION"] = ["Google", "the YMCA", "Nike", "NASA"], ["DATE"] = ["Monday", "May 5", "2010", "Friday"],
        ["MONTH"] = ["June", "March", "July", "May"], ["TIME"] = ["noon", "8 pm", "3:30", "midnight"], ["MONEY"] = ["$20", "$5", "$100", "$12"],
        ["PERCENT"] = ["50%", "20%", "75%", "10%"], ["CITY"] = ["Denver", "Austin", "Miami", "Chicago"], ["STATE"] = ["Texas", "Ohio", "Maine", "Utah"],
        ["DR"] = ["Lee", "Kim", "Patel", "Ross"],
    };

    /// <summary>ASAP's placeholders (@PERSON1, @NUM2 …) filled in with real names and numbers, as a student writes them.</summary>
    public static string FillPlaceholders(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, @"@([A-Z]+)(\d+)", m =>
            s_entities.TryGetValue(m.Groups[1].Value, out var v) ? v[int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) % v.Length] : "Alex");

    /// <summary>The same sentences in a random (but different) order, keeping the number of sentences per paragraph.</summary>
    public static string ShuffleSentences(string text, int seed)
    {
        var doc = Tokenizer.Analyze(text);
        var s = Enumerable.Range(0, doc.Sentences.Count).Select(doc.SentenceText).ToArray();
        var shuffled = (string[])s.Clone();
        var rng = new Random(seed);
        do
        {
            rng.Shuffle(shuffled);
        }
        while (shuffled.SequenceEqual(s));
        return Rejoin(doc, shuffled);
    }

    /// <summary>Joins sentences back with the paragraph breaks of <paramref name="doc"/> (sentence i goes where sentence i was).</summary>
    public static string Rejoin(EssayDocument doc, IReadOnlyList<string> sentences)
    {
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < sentences.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(doc.Sentences[i].Paragraph != doc.Sentences[i - 1].Paragraph ? "\n\n" : " ");
            }

            sb.Append(sentences[i]);
        }

        return sb.ToString();
    }

    /// <summary>Transition stuffing: a transition bolted onto every sentence.</summary>
    public static string StuffTransitions(string text)
    {
        var doc = Tokenizer.Analyze(text);
        var s = Enumerable.Range(0, doc.Sentences.Count).Select(doc.SentenceText).ToArray();
        return Rejoin(doc, [.. s.Select((x, i) => s_transitions[i % s_transitions.Length] + LowerFirst(x))]);
    }

    /// <summary>Keyword stuffing: the prompt's key vocabulary appended as a list.</summary>
    public static string StuffKeywords(string text, IEnumerable<string> keywords) =>
        text + "\n\n" + string.Join(' ', keywords.Take(40)) + ".";

    /// <summary>Word salad: the essay's own (good-looking) words in random order, punctuated like sentences.</summary>
    public static string WordSalad(string text, int seed)
    {
        var doc = Tokenizer.Analyze(text);
        var words = doc.Tokens.Where(t => t.Kind == TokenKind.Word).Select(t => text.Substring(t.Start, t.Length).ToLowerInvariant()).ToArray();
        new Random(seed).Shuffle(words);
        return string.Join(' ', words.Chunk(12).Select(c => char.ToUpperInvariant(c[0][0]) + string.Join(' ', c)[1..] + "."));
    }

    /// <summary>Gibberish made of sophisticated words only.</summary>
    public static string FancyWords(IReadOnlyList<string> vocabulary, int count, int seed)
    {
        var rng = new Random(seed);
        var fancy = vocabulary.Where(w => w.Length >= 8).ToArray();
        var words = Enumerable.Range(0, count).Select(_ => fancy[rng.Next(fancy.Length)]).ToArray();
        return string.Join(' ', words.Chunk(10).Select(c => char.ToUpperInvariant(c[0][0]) + string.Join(' ', c)[1..] + "."));
    }

    /// <summary>A paraphrase-level edit: a few synonyms swapped in and two neighbouring middle sentences exchanged.</summary>
    public static string Paraphrase(string text)
    {
        var doc = Tokenizer.Analyze(text);
        var s = Enumerable.Range(0, doc.Sentences.Count).Select(doc.SentenceText).ToArray();
        if (s.Length >= 4)
        {
            var m = s.Length / 2;
            (s[m], s[m + 1]) = (s[m + 1], s[m]);
        }

        var replaced = 0;
        for (var i = 0; i < s.Length; i++)
        {
            s[i] = string.Join(' ', s[i].Split(' ').Select(w =>
            {
                if (replaced < 5 && s_synonyms.TryGetValue(w, out var syn))
                {
                    replaced++;
                    return syn;
                }

                return w;
            }));
        }

        return Rejoin(doc, s);
    }

    private static string LowerFirst(string s) =>
        s.Length > 1 && char.IsUpper(s[0]) && char.IsLower(s[1]) ? char.ToLowerInvariant(s[0]) + s[1..] : s;
}
