using Sluice.Grading.Text;

namespace Sluice.Grading.Features;

/// <summary>
/// Turns an analysed essay into the hand-crafted feature vector of the scoring model (names in <see cref="Names"/>).
/// Every feature is order-independent at the sentence level (bigrams never cross a sentence boundary), so shuffling
/// sentences cannot raise a score; order is judged separately by the integrity checks.
/// </summary>
internal static class FeatureExtractor
{
    public static readonly string[] Names =
    [
        "words", "log_words", "sqrt_words", "chars_per_word", "sd_word_length", "unique_words", "log_unique_words", "type_token_ratio",
        "root_ttr", "hdd", "long_words", "long_word_ratio", "unique_long_words", "syllables_per_word", "polysyllable_ratio",
        "sentences", "log_sentences", "mean_sentence_length", "sd_sentence_length", "max_sentence_length", "paragraphs", "words_per_paragraph",
        "commas", "commas_per_sentence", "semicolons_colons", "quotes", "exclamations", "questions", "misspellings", "misspelling_rate",
        "grammar_errors", "grammar_rate", "punctuation_errors", "capitalization_errors", "fk_grade", "flesch_ease", "transitions",
        "transition_rate", "function_word_ratio", "placeholders", "first_person_ratio", "prompt_similarity", "prompt_coverage", "numbers",
    ];

    public static int Count => Names.Length;

    public static readonly int SimilarityIndex = Array.IndexOf(Names, "prompt_similarity");

    public static readonly int CoverageIndex = Array.IndexOf(Names, "prompt_coverage");

    /// <summary>The features that do not depend on the prompt (all but the topic match): the prompt-independent model's inputs.</summary>
    public static readonly int[] PromptIndependentIndices = [.. Enumerable.Range(0, Names.Length).Where(i => i != SimilarityIndex && i != CoverageIndex)];

    /// <summary>The features that read paragraph breaks (see <see cref="Training.TrainingOptions.ParagraphFeaturesMinShare"/>).</summary>
    public static readonly int[] ParagraphIndices = [Array.IndexOf(Names, "paragraphs"), Array.IndexOf(Names, "words_per_paragraph")];

    /// <summary>A copy of <paramref name="features"/> with the topic features recomputed against <paramref name="profile"/>.</summary>
    public static double[] WithProfile(double[] features, EssayDocument doc, PromptProfile profile)
    {
        var f = (double[])features.Clone();
        (f[SimilarityIndex], f[CoverageIndex]) = TopicMatch.Compute(doc, profile);
        return f;
    }

    /// <summary>Computes the features of <paramref name="doc"/> into a new array.</summary>
    public static double[] Compute(EssayDocument doc, in ErrorCounts errors, PromptProfile? profile)
    {
        var f = new double[Names.Length];
        var tokens = doc.Tokens;
        int words = 0, letters = 0, longWords = 0, syllables = 0, poly = 0, function = 0, placeholders = 0, firstPerson = 0, numbers = 0;
        int commas = 0, semis = 0, quotes = 0, excl = 0, quest = 0;
        double sumSq = 0;
        var unique = new HashSet<string>(StringComparer.Ordinal);
        var uniqueLong = new HashSet<string>(StringComparer.Ordinal);
        var wordList = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            var w = doc.Lower[i];
            switch (t.Kind)
            {
                case TokenKind.Punctuation:
                    switch (w[0])
                    {
                        case ',': commas++; break;
                        case ';' or ':': semis++; break;
                        case '"' or '\u201c' or '\u201d': quotes++; break;
                        case '!': excl++; break;
                        case '?': quest++; break;
                    }

                    continue;
                case TokenKind.Placeholder:
                    placeholders++;
                    break;
                case TokenKind.Number:
                    numbers++;
                    break;
            }

            words++;
            wordList.Add(w);
            unique.Add(w);
            if (t.Kind != TokenKind.Word)
            {
                continue;
            }

            letters += w.Length;
            sumSq += (double)w.Length * w.Length;
            if (w.Length >= 7)
            {
                longWords++;
                uniqueLong.Add(w);
            }

            var syl = Syllables.Count(w);
            syllables += syl;
            if (syl >= 3)
            {
                poly++;
            }

            if (WordLists.FunctionWords.Contains(w))
            {
                function++;
            }

            if (w is "i" or "me" or "my" or "i'm" or "myself")
            {
                firstPerson++;
            }
        }

        var alpha = Math.Max(1, words - placeholders - numbers);
        var n = Math.Max(1, words);
        var sentences = Math.Max(1, doc.Sentences.Count);
        double meanLen = 0, sdLen = 0, maxLen = 0;
        foreach (var s in doc.Sentences)
        {
            meanLen += s.WordCount;
            maxLen = Math.Max(maxLen, s.WordCount);
        }

        meanLen /= sentences;
        foreach (var s in doc.Sentences)
        {
            sdLen += (s.WordCount - meanLen) * (s.WordCount - meanLen);
        }

        sdLen = Math.Sqrt(sdLen / sentences);
        var meanWord = (double)letters / alpha;
        var syllablesPerWord = (double)syllables / alpha;
        var (similarity, coverage) = profile is null ? (0, 0) : TopicMatch.Compute(doc, profile);

        var k = 0;
        f[k++] = words;
        f[k++] = Math.Log(1 + words);
        f[k++] = Math.Sqrt(words);
        f[k++] = meanWord;
        f[k++] = Math.Sqrt(Math.Max(0, sumSq / alpha - meanWord * meanWord));
        f[k++] = unique.Count;
        f[k++] = Math.Log(1 + unique.Count);
        f[k++] = (double)unique.Count / n;
        f[k++] = unique.Count / Math.Sqrt(n);
        f[k++] = Hdd(wordList, 42);
        f[k++] = longWords;
        f[k++] = (double)longWords / alpha;
        f[k++] = uniqueLong.Count;
        f[k++] = syllablesPerWord;
        f[k++] = (double)poly / alpha;
        f[k++] = doc.Sentences.Count;
        f[k++] = Math.Log(1 + doc.Sentences.Count);
        f[k++] = meanLen;
        f[k++] = sdLen;
        f[k++] = maxLen;
        f[k++] = doc.ParagraphCount;
        f[k++] = (double)words / Math.Max(1, doc.ParagraphCount);
        f[k++] = commas;
        f[k++] = (double)commas / sentences;
        f[k++] = semis;
        f[k++] = quotes;
        f[k++] = excl;
        f[k++] = quest;
        f[k++] = errors.Misspellings;
        f[k++] = (double)errors.Misspellings / alpha;
        f[k++] = errors.Grammar;
        f[k++] = (double)errors.Grammar / sentences;
        f[k++] = errors.Punctuation;
        f[k++] = errors.Capitalization;
        f[k++] = Readability.FleschKincaidGrade(words, sentences, syllablesPerWord);
        f[k++] = Readability.FleschReadingEase(words, sentences, syllablesPerWord);
        var transitions = Discourse.CountTransitions(doc);
        f[k++] = transitions;
        f[k++] = (double)transitions / sentences;
        f[k++] = (double)function / alpha;
        f[k++] = placeholders;
        f[k++] = (double)firstPerson / alpha;
        f[k++] = similarity;
        f[k++] = coverage;
        f[k++] = numbers;
        return f;
    }

    /// <summary>
    /// HD-D (McCarthy &amp; Jarvis 2010): expected share of distinct words in a random sample of <paramref name="sample"/>
    /// tokens. Length-independent like MATTR but, unlike it, independent of word order, so it cannot reward shuffling.
    /// </summary>
    public static double Hdd(List<string> words, int sample)
    {
        var n = words.Count;
        if (n == 0)
        {
            return 0;
        }

        if (n <= sample)
        {
            return (double)new HashSet<string>(words, StringComparer.Ordinal).Count / n;
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var w in words)
        {
            counts[w] = counts.GetValueOrDefault(w) + 1;
        }

        double sum = 0;
        foreach (var f in counts.Values)
        {
            // P(word absent from the sample) = C(n - f, s) / C(n, s) = prod_{i<s} (n - f - i) / (n - i)
            var absent = 1.0;
            for (var i = 0; i < sample && absent > 1e-12; i++)
            {
                absent *= Math.Max(0, n - f - i) / (double)(n - i);
            }

            sum += 1 - absent;
        }

        return sum / sample;
    }

    /// <summary>Moving-average type–token ratio: length-independent lexical diversity.</summary>
    public static double Mattr(List<string> words, int window)
    {
        if (words.Count == 0)
        {
            return 0;
        }

        if (words.Count <= window)
        {
            return (double)new HashSet<string>(words, StringComparer.Ordinal).Count / words.Count;
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var distinct = 0;
        for (var i = 0; i < window; i++)
        {
            if (counts.TryGetValue(words[i], out var c))
            {
                counts[words[i]] = c + 1;
            }
            else
            {
                counts[words[i]] = 1;
                distinct++;
            }
        }

        double sum = distinct;
        var steps = 1;
        for (var i = window; i < words.Count; i++)
        {
            var old = words[i - window];
            var oc = counts[old] - 1;
            if (oc == 0)
            {
                counts.Remove(old);
                distinct--;
            }
            else
            {
                counts[old] = oc;
            }

            if (counts.TryGetValue(words[i], out var c))
            {
                counts[words[i]] = c + 1;
            }
            else
            {
                counts[words[i]] = 1;
                distinct++;
            }

            sum += distinct;
            steps++;
        }

        return sum / steps / window;
    }
}
