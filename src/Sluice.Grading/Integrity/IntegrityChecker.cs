using System.Text;
using Sluice.Grading.Features;
using Sluice.Grading.Scoring;
using Sluice.Grading.Spelling;
using Sluice.Grading.Text;

namespace Sluice.Grading.Integrity;

/// <summary>
/// Detects the ways automated graders are known to be gamed (Powers et al. 2002; Kabra et al. 2020 "Evaluation Toolkit
/// for Robustness Testing of Automatic Essay Scoring Systems"): padding by repetition, shuffled sentences,
/// transition/keyword stuffing, word salad, off-topic answers and copying the prompt; plus binary and non-English input.
/// Returns flags and the text the score should be computed from.
/// </summary>
internal sealed class IntegrityChecker(SpellDictionary dictionary)
{
    /// <summary>Share of words in duplicated sentences above which the essay is flagged as padded.</summary>
    public const double RepetitionShare = 0.15;

    /// <summary>Prompt-classifier probability of the requested prompt below which the essay answers another one.</summary>
    public const double OffTopicProbability = 0.02;

    /// <summary>The same probability for an essay that uses almost none of the prompt's keywords (see <see cref="OffTopicKeywordMatch"/>).</summary>
    public const double WeakOffTopicProbability = 0.1;

    /// <summary>Keyword-profile match (relative to the prompt's typical essay) below which an essay uses almost none of its keywords.</summary>
    public const double OffTopicKeywordMatch = 0.1;

    /// <summary>
    /// Share of placeholders and numbers among the word tokens above which a text is not prose. Real ASAP essays reach 36 %
    /// at most (a prompt-7 narrative dense with <c>@PERSON</c>s), out of 12,959 with 10+ tokens.
    /// </summary>
    public const double NonWordShare = 0.6;

    public IntegrityReport Check(EssayDocument doc, PromptModel? prompt, GradingModel model, string? promptText)
    {
        var flags = new List<IntegrityFlag>();
        var text = doc.Text;
        var words = doc.WordCount;

        if (IsBinary(text))
        {
            flags.Add(new("binary_or_garbage", "The text is mostly non-printable or non-letter characters; it cannot be graded as an essay.", FlagEffect.Minimum));
            return new IntegrityReport(flags, text, false);
        }

        var (checkedWords, known) = DictionaryCoverage(doc);
        if (checkedWords >= 8 && known < 0.5 * checkedWords)
        {
            flags.Add(new("non_english", $"Only {known} of {checkedWords} words are English dictionary words; the essay does not look like English.", FlagEffect.Minimum));
            return new IntegrityReport(flags, text, false);
        }

        if (words >= 10 && NonWords(doc) > NonWordShare * words)
        {
            // Only word tokens meet the dictionary and word-order checks, so a text of placeholders or numbers passed them all.
            flags.Add(new("gibberish", "Most of the text is anonymised placeholders (@PERSON1 …) or numbers rather than words; it cannot be graded as an essay.", FlagEffect.Minimum));
            return new IntegrityReport(flags, text, false);
        }

        if (words < 10)
        {
            // The model never saw such texts (extrapolation would be arbitrary); nothing this short answers a prompt.
            flags.Add(new("too_short", $"The essay has only {words} words; fewer than 10 words cannot be graded.", FlagEffect.Minimum));
        }

        var remove = new bool[doc.Sentences.Count];
        var cuts = new List<(int Start, int End)>();
        if (promptText is { Length: > 0 })
        {
            // First, so that text copied from the prompt is neither counted as the student's repetition nor kept.
            PromptCopy(doc, promptText, remove, flags);
        }

        Repetition(doc, remove, flags);
        WordSalad(doc, model.Syntax, flags);
        Stuffing(doc, remove, cuts, flags);

        if (prompt is not null)
        {
            OffTopic(doc, prompt, model, flags);
        }

        ShuffledOrder(doc, prompt, model.SharedOrder, flags);

        for (var s = 0; s < remove.Length; s++)
        {
            if (remove[s])
            {
                cuts.Add((doc.Sentences[s].Start, s + 1 < doc.Sentences.Count ? doc.Sentences[s + 1].Start : text.Length));
            }
        }

        var cleaned = cuts.Count > 0;
        var scoringText = cleaned ? Without(text, cuts) : text;
        if (cleaned && !flags.Any(f => f.Effect == FlagEffect.Minimum))
        {
            var rest = Tokenizer.Analyze(scoringText);
            if (rest.WordCount < 15)
            {
                flags.Add(new("no_original_content", "Once repeated, stuffed or copied material is set aside, almost nothing of the student's own writing is left.", FlagEffect.Minimum));
            }
            else
            {
                // What is left is what gets scored, so it must pass the gradability checks on its own: good text
                // wrapped around gibberish must not rescue it.
                foreach (var f in Check(rest, prompt, model, null).Flags)
                {
                    if (f.Effect == FlagEffect.Minimum)
                    {
                        flags.Add(f);
                    }
                }
            }
        }

        return new IntegrityReport(flags, scoringText, cleaned);
    }

    /// <summary>True for binary or control-character garbage.</summary>
    public static bool IsBinary(string text)
    {
        if (text.Length == 0)
        {
            return false;
        }

        int bad = 0, replacement = 0, letters = 0, nonSpace = 0;
        foreach (var c in text)
        {
            // Whitespace controls are layout, not garbage: text pasted from a PDF or word processor brings form feeds
            // (page breaks), vertical tabs and next-line characters along with the essay.
            if ((char.IsControl(c) && !char.IsWhiteSpace(c)) || c is '\uFFFE' or '\uFFFF')
            {
                bad++;
            }
            else if (c == '\uFFFD')
            {
                // ASAP itself contains U+FFFD for lost quotes, so only a high share of them means binary input.
                replacement++;
            }

            if (!char.IsWhiteSpace(c))
            {
                nonSpace++;
                if (char.IsLetter(c))
                {
                    letters++;
                }
            }
        }

        return bad > text.Length * 0.01 || replacement > text.Length * 0.1 || (nonSpace >= 20 && letters < nonSpace * 0.5);
    }

    private static int NonWords(EssayDocument doc)
    {
        var n = 0;
        foreach (var t in doc.Tokens)
        {
            n += t.Kind is TokenKind.Placeholder or TokenKind.Number ? 1 : 0;
        }

        return n;
    }

    private (int Checked, int Known) DictionaryCoverage(EssayDocument doc)
    {
        int n = 0, known = 0;
        for (var i = 0; i < doc.Tokens.Count && n < 2000; i++)
        {
            if (doc.Tokens[i].Kind != TokenKind.Word || doc.Lower[i].Length < 2)
            {
                continue;
            }

            n++;
            if (dictionary.Contains(doc.Lower[i]))
            {
                known++;
            }
        }

        return (n, known);
    }

    private static void Repetition(EssayDocument doc, bool[] remove, List<IntegrityFlag> flags)
    {
        // Word 8-grams seen earlier in the essay mark repeated material, whatever the sentence splitting.
        const int n = 8;
        var positions = new List<int>(doc.Tokens.Count);
        var alreadyRemoved = (bool[])remove.Clone();
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            if (doc.Tokens[i].Kind != TokenKind.Punctuation && !alreadyRemoved[doc.Tokens[i].Sentence])
            {
                positions.Add(i);
            }
        }

        var covered = new bool[doc.Tokens.Count];
        var seen = new HashSet<ulong>();
        for (var p = 0; p + n <= positions.Count; p++)
        {
            var h = 14695981039346656037UL;
            for (var k = 0; k < n; k++)
            {
                foreach (var c in doc.Lower[positions[p + k]])
                {
                    h = (h ^ c) * 1099511628211UL;
                }

                h = (h ^ ' ') * 1099511628211UL;
            }

            if (!seen.Add(h))
            {
                for (var k = 0; k < n; k++)
                {
                    covered[positions[p + k]] = true;
                }
            }
        }

        var dupWords = 0;
        foreach (var i in positions)
        {
            if (covered[i])
            {
                dupWords++;
            }
        }

        var sentenceSeen = new HashSet<string>(StringComparer.Ordinal);
        var sb = new StringBuilder();
        for (var s = 0; s < doc.Sentences.Count; s++)
        {
            var sentence = doc.Sentences[s];
            if (sentence.WordCount < 4 || alreadyRemoved[s])
            {
                continue;
            }

            sb.Clear();
            var coveredHere = 0;
            for (var k = sentence.FirstToken; k < sentence.FirstToken + sentence.TokenCount; k++)
            {
                if (doc.Tokens[k].Kind != TokenKind.Punctuation)
                {
                    sb.Append(doc.Lower[k]).Append(' ');
                    coveredHere += covered[k] ? 1 : 0;
                }
            }

            if (!sentenceSeen.Add(sb.ToString()) || coveredHere >= sentence.WordCount * 0.8)
            {
                remove[s] = true;
            }
        }

        var words = Math.Max(1, doc.WordCount);
        if (dupWords > 0 && (dupWords >= words * RepetitionShare || dupWords >= 80))
        {
            flags.Add(new("repetition", $"{dupWords} of {words} words repeat earlier passages; repeats are not counted and cost a point.", FlagEffect.Penalty));
        }
        else if (remove.Where((r, i) => r && !alreadyRemoved[i]).Any())
        {
            flags.Add(new("repeated_sentence", "A sentence appears more than once; the repeat is not counted.", FlagEffect.Info));
        }
    }

    private static void WordSalad(EssayDocument doc, SyntaxModel syntax, List<IntegrityFlag> flags)
    {
        int words = 0, function = 0, determiners = 0, badAfterDeterminer = 0;
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            if (doc.Tokens[i].Kind != TokenKind.Word)
            {
                continue;
            }

            words++;
            var w = doc.Lower[i];
            if (WordLists.FunctionWords.Contains(w))
            {
                function++;
            }

            if (w is "a" or "an" or "the" or "my" or "your" or "their" or "our" or "every")
            {
                determiners++;
                var next = i + 1 < doc.Tokens.Count ? doc.Tokens[i + 1] : default;
                // A determiner is followed by a noun phrase; determiner + determiner/preposition/pronoun or an
                // end-of-sentence mark is almost never English.
                if (i + 1 >= doc.Tokens.Count || next.Kind == TokenKind.Punctuation && doc.Lower[i + 1] is "." or "!"
                    || next.Kind == TokenKind.Word && (WordLists.DeterminersAndPrepositions.Contains(doc.Lower[i + 1]) || doc.Lower[i + 1] is "i" or "he" or "she" or "we" or "they" or "is" or "are" or "was" or "and" or "but"))
                {
                    badAfterDeterminer++;
                }
            }
        }

        if (words < 25)
        {
            return;
        }

        var functionRatio = (double)function / words;
        var badRate = determiners == 0 ? 0 : (double)badAfterDeterminer / determiners;
        var (order, _) = syntax.Score(doc);
        if (functionRatio < 0.2 || order < syntax.Threshold || (determiners >= 10 && badRate > 0.3))
        {
            flags.Add(new("gibberish",
                $"The words do not form English sentences (word-order score {order:0.00}, typical essays above {syntax.Threshold:0.00}; function words {functionRatio:P0}); it cannot be graded as an essay.",
                FlagEffect.Minimum));
        }
    }

    private static void Stuffing(EssayDocument doc, bool[] remove, List<(int Start, int End)> cuts, List<IntegrityFlag> flags)
    {
        var sentences = doc.Sentences.Count;
        var words = Math.Max(1, doc.WordCount);
        var transitions = Discourse.CountTransitions(doc);
        var opened = 0;
        for (var s = 0; s < sentences; s++)
        {
            if (Discourse.OpeningTransition(doc, s) is not null)
            {
                opened++;
            }
        }

        if (sentences >= 4 && (opened >= sentences * 0.85 || transitions > words * 0.1))
        {
            flags.Add(new("transition_stuffing", $"{opened} of {sentences} sentences open with a transition ({transitions} transitions in {words} words): transitions are being used as filler; they are not counted and cost a point.", FlagEffect.Penalty));
            for (var s = 0; s < sentences; s++)
            {
                if (Discourse.OpeningTransition(doc, s) is { } phrase)
                {
                    var first = Discourse.FirstWord(doc, doc.Sentences[s]);
                    var after = first + phrase.Split(' ').Length;
                    if (after < doc.Tokens.Count && doc.Lower[after] == ",")
                    {
                        after++;
                    }

                    var end = after < doc.Tokens.Count ? doc.Tokens[after].Start : doc.Text.Length;
                    cuts.Add((doc.Tokens[first].Start, end));
                }
            }
        }

        // Keyword lists: long "sentences" with almost no function words or repeated transitions back to back.
        var stuffedWords = 0;
        var stuffedSentences = 0;
        for (var s = 0; s < sentences; s++)
        {
            var sentence = doc.Sentences[s];
            if (sentence.WordCount < 10)
            {
                continue;
            }

            int function = 0, trans = 0, wordsInSentence = 0;
            for (var k = sentence.FirstToken; k < sentence.FirstToken + sentence.TokenCount; k++)
            {
                if (doc.Tokens[k].Kind != TokenKind.Word)
                {
                    continue;
                }

                wordsInSentence++;
                if (WordLists.FunctionWords.Contains(doc.Lower[k]))
                {
                    function++;
                }

                if (WordLists.Transitions.Contains(doc.Lower[k]))
                {
                    trans++;
                }
            }

            if (wordsInSentence >= 10 && ((double)function / wordsInSentence < 0.1 || (trans >= 3 && (double)trans / wordsInSentence > 0.35)))
            {
                remove[s] = true;
                stuffedWords += sentence.WordCount;
                stuffedSentences++;
            }
        }

        if (stuffedSentences > 0)
        {
            flags.Add(new("keyword_stuffing", $"{stuffedSentences} sentence(s) ({stuffedWords} words) are lists of keywords or transitions rather than prose; they are not counted and cost a point.", FlagEffect.Penalty));
        }
    }

    private static void PromptCopy(EssayDocument doc, string promptText, bool[] remove, List<IntegrityFlag> flags)
    {
        var prompt = Tokenizer.Analyze(promptText);
        var grams = new HashSet<string>(StringComparer.Ordinal);
        var pw = Words(prompt, 0, prompt.Tokens.Count);
        for (var i = 0; i + 4 <= pw.Count; i++)
        {
            grams.Add(string.Join(' ', pw.GetRange(i, 4)));
        }

        if (grams.Count == 0)
        {
            return;
        }

        var copied = 0;
        for (var s = 0; s < doc.Sentences.Count; s++)
        {
            var sentence = doc.Sentences[s];
            var sw = Words(doc, sentence.FirstToken, sentence.FirstToken + sentence.TokenCount);
            if (sw.Count < 4)
            {
                continue;
            }

            var hits = 0;
            for (var i = 0; i + 4 <= sw.Count; i++)
            {
                if (grams.Contains(string.Join(' ', sw.GetRange(i, 4))))
                {
                    hits++;
                }
            }

            if (hits >= (sw.Count - 3) * 0.5)
            {
                remove[s] = true;
                copied += sentence.WordCount;
            }
        }

        if (copied >= 8)
        {
            flags.Add(new("prompt_copy", $"{copied} words are copied from the prompt; copied text is not counted.", FlagEffect.Info));
        }
    }

    private static void OffTopic(EssayDocument doc, PromptModel prompt, GradingModel model, List<IntegrityFlag> flags)
    {
        if (doc.WordCount < 25)
        {
            return;
        }

        // Similarity to each prompt's profile, relative to that prompt's own essays (1 = its 25th percentile), so
        // prompts with narrow and broad vocabularies compare fairly.
        var similarity = TopicMatch.Compute(doc, prompt.Profile).Similarity;
        var ownNorm = similarity / Math.Max(1e-6, prompt.SimilarityP25);
        // The prompt classifier weighs the words that tell the prompts apart. On the real fold-0 test essays of 25+ words
        // it gave the essay's own prompt at least 0.059, so under 0.02 the essay answers another prompt. Under 0.1 it
        // does too when it also shares almost none of the prompt's keywords (the real essays under 0.1 matched 0.3+).
        Span<double> p = stackalloc double[model.PromptClassifier.Prompts.Length];
        var own = Array.IndexOf(model.PromptClassifier.Prompts, prompt.Prompt);
        if (own >= 0 && model.PromptClassifier.TryClassify(doc, p) &&
            (p[own] < OffTopicProbability || (p[own] < WeakOffTopicProbability && ownNorm < OffTopicKeywordMatch)))
        {
            var top = 0;
            for (var k = 1; k < p.Length; k++)
            {
                top = p[k] > p[top] ? k : top;
            }

            flags.Add(new("off_topic", $"The essay does not address prompt {prompt.Prompt}: its vocabulary reads as an answer to prompt {model.PromptClassifier.Prompts[top]} (probability {p[top]:0.00}; {p[own]:0.000} for prompt {prompt.Prompt}).", FlagEffect.Minimum));
            return;
        }

        // The other prompts' profiles are only needed when the classifier let the essay through.
        var (best, bestNorm) = BestOtherProfile(doc, prompt, model);
        if (best != prompt.Prompt && ownNorm < 1 && bestNorm >= 0.5 && bestNorm > ownNorm * 1.4)
        {
            flags.Add(new("off_topic", $"The essay does not address prompt {prompt.Prompt} (topic match {ownNorm:0.00} of typical); its vocabulary matches prompt {best} ({bestNorm:0.00} of typical).", FlagEffect.Minimum));
        }
        else if (similarity < prompt.SimilarityP05 * 0.5)
        {
            // Too far from the topic to earn a high score, yet close to no other prompt either.
            flags.Add(new("weak_topic_match", $"The essay uses little of the vocabulary expected for prompt {prompt.Prompt} (topic match {similarity:0.00}); the score is capped at the middle of the scale.", FlagEffect.Cap));
        }
    }

    /// <summary>The other prompt whose profile the essay matches best, relative to that prompt's own essays, and how well.</summary>
    private static (int Prompt, double Norm) BestOtherProfile(EssayDocument doc, PromptModel prompt, GradingModel model)
    {
        var best = prompt.Prompt;
        var bestNorm = 0.0;
        foreach (var other in model.Prompts)
        {
            if (other.Prompt == prompt.Prompt)
            {
                continue;
            }

            var norm = TopicMatch.Compute(doc, other.Profile).Similarity / Math.Max(1e-6, other.SimilarityP25);
            if (norm > bestNorm)
            {
                bestNorm = norm;
                best = other.Prompt;
            }
        }

        return (best, bestNorm);
    }

    private static void ShuffledOrder(EssayDocument doc, PromptModel? prompt, SharedOrderModel shared, List<IntegrityFlag> flags)
    {
        if (prompt is not null && LetterParts.StartsWithTitleAboveSalutation(doc))
        {
            // A title above "Dear …" is not a sentence out of place: the order evidence starts at the salutation, as
            // it does in a letter without one.
            doc = Tokenizer.Analyze(doc.Text[doc.Sentences[1].Start..]);
        }

        if (doc.Sentences.Count < OrderModel.MinSentences || prompt is null)
        {
            return;
        }

        var f = OrderFeatures.Compute(doc, prompt.Profile, prompt.Order.Position, prompt.Order.Pairs, prompt.Order.Boundary, shared, prompt.Order.Semantic);
        var p = prompt.Order.Probability(f);
        if (p > prompt.Order.ThresholdFor(doc.Sentences.Count))
        {
            var reasons = new List<string>();
            if (f[8] > 0)
            {
                reasons.Add("the salutation or sign-off is misplaced");
            }

            if (f[9] > 0)
            {
                reasons.Add("ordinal markers (first, second, finally) are out of sequence");
            }

            if (f[6] > 0)
            {
                reasons.Add("a closing marker appears early");
            }

            if (f[1] > 0)
            {
                reasons.Add("the first sentence continues a thought instead of opening one");
            }

            if (f[0] < 0)
            {
                reasons.Add("neighbouring sentences share fewer words than in a random order");
            }

            if (f[14] < 0)
            {
                reasons.Add("sentences typical of an introduction or a conclusion are not where they belong");
            }

            if (f[18] < 0)
            {
                reasons.Add("neighbouring sentences fit each other worse than in a random order");
            }

            if (f[41] < 0)
            {
                reasons.Add("neighbouring sentences are less related in meaning than in a random order");
            }

            if (f[21] < 0)
            {
                reasons.Add("the first sentence reads less like an opening than the others");
            }

            if (f[23] < 0)
            {
                reasons.Add("the last sentence reads less like an ending than the others");
            }

            if (reasons.Count == 0)
            {
                // The detector weighs 52 cues; a reader still deserves to know there is no single one to point at.
                reasons.Add("many small cues point that way together, none strongly on its own");
            }

            flags.Add(new("incoherent_order", $"The sentences seem to be out of order (likelihood {p:0.00}): " + string.Join("; ", reasons) + ".", FlagEffect.Info));
        }
    }

    private static List<string> Words(EssayDocument doc, int from, int to)
    {
        var list = new List<string>();
        for (var i = from; i < to; i++)
        {
            if (doc.Tokens[i].Kind != TokenKind.Punctuation)
            {
                list.Add(doc.Lower[i]);
            }
        }

        return list;
    }

    /// <summary>The text with the character ranges <paramref name="cuts"/> removed (overlaps allowed).</summary>
    private static string Without(string text, List<(int Start, int End)> cuts)
    {
        cuts.Sort();
        var sb = new StringBuilder(text.Length);
        var pos = 0;
        foreach (var (start, end) in cuts)
        {
            if (start > pos)
            {
                sb.Append(text, pos, start - pos);
            }

            pos = Math.Max(pos, end);
        }

        if (pos < text.Length)
        {
            sb.Append(text, pos, text.Length - pos);
        }

        return sb.ToString();
    }
}
