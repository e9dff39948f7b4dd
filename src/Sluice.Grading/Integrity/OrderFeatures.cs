using Sluice.Grading.Features;
using Sluice.Grading.Text;

namespace Sluice.Grading.Integrity;

/// <summary>
/// Signals that sentences are in their written order: lexical cohesion versus random orders, how the first and last
/// sentences open and close, whether ordinal markers ("First", "Second", "Finally") come in sequence, where the
/// salutation and sign-off are, where the most on-topic sentences sit, whether the positions a learned
/// <see cref="PositionModel"/> predicts for the sentences rise with their actual positions, and whether ASAP's
/// anonymised entities (@PERSON1, @PERSON2 …, numbered in reading order) appear in their numbering order, and whether
/// neighbouring sentences are related in meaning (<see cref="SemanticModel"/> word vectors, not only shared words). A
/// learned <see cref="OrderModel"/> weighs them.
/// </summary>
internal static class OrderFeatures
{
    public static readonly string[] Names =
    [
        "cohesion_z", "first_anaphoric", "first_opening", "last_closing", "first_topic_rank", "last_topic_rank", "early_closers",
        "late_openers", "misplaced_salutation", "ordinal_inversions", "first_length_ratio", "log_sentences", "second_anaphoric",
        "position_tau", "position_tau_z", "position_first", "position_last", "placeholder_inversions", "pair_z", "pair_gain", "joined_fragments",
        "first_llr", "first_rank", "last_llr", "last_rank",
        "shared_pair_z", "shared_pair_gain", "shared_first_llr", "shared_first_rank", "shared_last_llr", "shared_last_rank",
        "paragraph_first_llr", "paragraph_last_llr", "shared_paragraph_first_llr", "shared_paragraph_last_llr",
        "successor_llr", "predecessor_llr", "shared_successor_llr", "shared_predecessor_llr",
        "shared_precedence_z", "shared_precedence_mean",
        "semantic_z", "semantic_gain", "semantic_successor", "semantic_predecessor", "semantic_first_centroid", "semantic_first_topic",
        "semantic_last_topic", "semantic_last_first", "semantic_position_tau_z", "semantic_position_first", "semantic_position_last",
    ];

    private static readonly HashSet<string> s_anaphoric = new(StringComparer.Ordinal)
    {
        "he", "she", "it", "they", "this", "that", "these", "those", "but", "and", "so", "also", "however", "then", "because", "finally", "lastly",
        "another", "second", "secondly", "third", "thirdly", "next", "after", "his", "her", "their", "its", "therefore", "thus", "or", "furthermore",
        "moreover", "besides", "plus", "later", "afterwards", "still", "even", "again",
    };

    private static readonly HashSet<string> s_closingWords = new(StringComparer.Ordinal) { "conclusion", "conclude", "sincerely", "summary", "overall", "finally", "lastly", "why" };

    private static readonly Dictionary<string, int> s_ordinals = new(StringComparer.Ordinal)
    {
        ["first"] = 1, ["firstly"] = 1, ["second"] = 2, ["secondly"] = 2, ["third"] = 3, ["thirdly"] = 3, ["fourth"] = 4, ["finally"] = 5, ["lastly"] = 5,
    };

    /// <summary>
    /// The pairwise features look at the first this many sentences only: their cost grows with the square of the count,
    /// and ASAP essays stay far below it, while a 100,000-word submission must still grade in well under a second.
    /// </summary>
    private const int MaxPairwiseSentences = 200;

    public static double[] Compute(EssayDocument doc, PromptProfile? profile, PositionModel? positions, PairModel? pairs, BoundaryModel? boundary, SharedOrderModel? shared, SemanticPromptModel? semantic)
    {
        var n = doc.Sentences.Count;
        var f = new double[Names.Length];
        if (n < 2)
        {
            return f;
        }

        f[0] = Coherence.OrderZScore(doc);
        f[1] = StartsWith(doc, 0, s_anaphoric) ? 1 : 0;
        var firstWord = FirstLower(doc, 0);
        f[2] = firstWord is "dear" or "in" or "i" or "do" or "have" or "imagine" or "what" || Contains(doc, 0, "think") || Contains(doc, 0, "believe") || Contains(doc, 0, "opinion") ? 1 : 0;
        f[3] = Discourse.StartsWithMarker(doc, n - 1, WordLists.ClosingMarkers) || ContainsAny(doc, n - 1, s_closingWords) ? 1 : 0;

        if (profile is not null)
        {
            var sims = new double[n];
            for (var s = 0; s < n; s++)
            {
                sims[s] = KeywordShare(doc, s, profile);
            }

            f[4] = Rank(sims, 0);
            f[5] = Rank(sims, n - 1);
        }
        else
        {
            f[4] = f[5] = 0.5;
        }

        int early = 0, late = 0, misplaced = 0, inversions = 0, lastOrdinal = 0;
        for (var s = 0; s < n; s++)
        {
            var position = (double)s / (n - 1);
            var w = FirstLower(doc, s);
            if (position < 0.35 && Discourse.StartsWithMarker(doc, s, WordLists.ClosingMarkers))
            {
                early++;
            }

            if (position > 0.65 && Discourse.StartsWithMarker(doc, s, WordLists.OpeningMarkers) && w != "dear")
            {
                late++;
            }

            if ((s > 0 && w == "dear") || (s < n - 2 && w is "sincerely" or "respectfully"))
            {
                misplaced++;
            }

            if (w is not null && s_ordinals.TryGetValue(w, out var ord))
            {
                if (ord < lastOrdinal)
                {
                    inversions++;
                }

                lastOrdinal = ord;
            }
        }

        f[6] = early;
        f[7] = late;
        f[8] = misplaced;
        f[9] = inversions;
        var mean = doc.Sentences.Average(s => s.WordCount);
        f[10] = mean == 0 ? 1 : doc.Sentences[0].WordCount / mean;
        f[11] = Math.Log(n);
        f[12] = StartsWith(doc, 1, s_anaphoric) ? 1 : 0;
        if (positions is not null)
        {
            (f[13], f[14], f[15], f[16]) = PositionEvidence(doc, positions);
        }

        f[17] = Math.Min(3, PlaceholderInversions(doc));
        // Both neighbouring-sentence models score the same pairs, so their keys are built and hashed once.
        var pairwise = Math.Min(n, MaxPairwiseSentences);
        var cues = PairModel.Cues(doc, pairwise);
        var pairModels = new List<PairModel>(2);
        if (pairs is not null)
        {
            pairModels.Add(pairs);
        }

        if (shared is not null)
        {
            pairModels.Add(shared.Pairs);
        }

        var matrices = PairModel.Scores(cues, pairwise, pairModels);
        if (pairs is not null)
        {
            (f[18], f[19], f[35], f[36]) = PairEvidence(doc, matrices[0], pairwise);
        }

        f[20] = Math.Min(3, JoinedFragments(doc));
        if (boundary is not null)
        {
            var scores = boundary.Scores(doc, n);
            (f[21], f[22]) = Boundary(scores[0], 0);
            (f[23], f[24]) = Boundary(scores[1], n - 1);
            (f[31], f[32]) = ParagraphBoundaries(doc, scores);
        }

        if (shared is not null)
        {
            (f[25], f[26], f[37], f[38]) = PairEvidence(doc, matrices[^1], pairwise);
            var scores = shared.Boundary.Scores(doc, n);
            (f[27], f[28]) = Boundary(scores[0], 0);
            (f[29], f[30]) = Boundary(scores[1], n - 1);
            (f[33], f[34]) = ParagraphBoundaries(doc, scores);
            (f[39], f[40]) = PrecedenceEvidence(doc, shared.Precedence.Scores(cues, pairwise), pairwise);
            SemanticEvidence(doc, shared.Semantic, semantic, pairwise, f.AsSpan(41));
        }

        return f;
    }

    /// <summary>
    /// How much better the written order's neighbours fit than random orders of the same sentences: a z-score against
    /// seeded permutations, the mean gain per neighbour over the expected (all-pairs) score, and how likely each written
    /// successor (predecessor) is among all the candidates (summed log-likelihood ratios against a random pick).
    /// </summary>
    private static (double Z, double Gain, double Successors, double Predecessors) PairEvidence(EssayDocument doc, double[,,] m, int n)
    {
        var breaks = new int[n + 1];
        breaks[0] = breaks[n] = 1;
        for (var s = 1; s < n; s++)
        {
            breaks[s] = doc.Sentences[s].Paragraph != doc.Sentences[s - 1].Paragraph ? 1 : 0;
        }

        var order = Enumerable.Range(0, n).ToArray();
        var actual = Adjacent(m, order, breaks);
        var (successors, predecessors) = NeighbourLikelihoods(m, n, breaks);
        var rng = new Random((doc.Text.Length * 17) + n);
        const int Permutations = 40;
        var samples = new double[Permutations];
        for (var p = 0; p < Permutations; p++)
        {
            rng.Shuffle(order);
            samples[p] = Adjacent(m, order, breaks);
        }

        var mean = samples.Average();
        var sd = Math.Sqrt(samples.Average(v => (v - mean) * (v - mean)));
        return ((actual - mean) / Math.Max(sd, 0.01), actual - mean, successors, predecessors);
    }

    /// <summary>
    /// Semantic coherence from the <see cref="SemanticModel"/> sentence vectors: neighbours' cosine against random orders
    /// (z-score and gain), how likely each written successor (predecessor) is among all candidates by similarity, how
    /// central the first sentence is to the essay, how typical of openers (closers) the first (last) sentence's content is
    /// for the prompt, and whether the last sentence comes back to the first.
    /// </summary>
    private static void SemanticEvidence(EssayDocument doc, SemanticModel model, SemanticPromptModel? prompt, int n, Span<double> f)
    {
        var raw = model.SentenceVectors(doc, n);
        var d = model.Dimensions;
        var unit = new float[n][];
        var centroid = new float[d];
        for (var s = 0; s < n; s++)
        {
            unit[s] = Normalized(raw[s]);
            for (var j = 0; j < d; j++)
            {
                centroid[j] += unit[s][j] / n;
            }
        }

        // Centred on the essay's mean: what every sentence shares (the prompt's topic) says nothing about order.
        var centred = new float[n][];
        for (var s = 0; s < n; s++)
        {
            centred[s] = new float[d];
            for (var j = 0; j < d; j++)
            {
                centred[s][j] = unit[s][j] - centroid[j];
            }
        }

        var sim = new double[n, n];
        for (var a = 0; a < n; a++)
        {
            for (var b = a + 1; b < n; b++)
            {
                sim[a, b] = sim[b, a] = SemanticModel.Cosine(centred[a], centred[b]);
            }
        }

        var order = Enumerable.Range(0, n).ToArray();
        var actual = Chain(sim, order);
        var rng = new Random((doc.Text.Length * 19) + n);
        const int Permutations = 40;
        var samples = new double[Permutations];
        for (var p = 0; p < Permutations; p++)
        {
            rng.Shuffle(order);
            samples[p] = Chain(sim, order);
        }

        var mean = samples.Average();
        var sd = Math.Sqrt(samples.Average(v => (v - mean) * (v - mean)));
        f[0] = (actual - mean) / Math.Max(sd, 0.01);
        f[1] = actual - mean;
        // Cosines of centred vectors span about ±1; a temperature of 0.2 lets a clearly closer candidate dominate.
        const double Temperature = 0.2;
        var candidates = new double[n];
        for (var i = 0; i + 1 < n; i++)
        {
            var count = 0;
            for (var c = 0; c < n; c++)
            {
                if (c != i)
                {
                    candidates[count++] = sim[i, c] / Temperature;
                }
            }

            f[2] += (sim[i, i + 1] / Temperature) - LogMeanExp(candidates, 0, count);
            count = 0;
            for (var c = 0; c < n; c++)
            {
                if (c != i + 1)
                {
                    candidates[count++] = sim[c, i + 1] / Temperature;
                }
            }

            f[3] += (sim[i, i + 1] / Temperature) - LogMeanExp(candidates, 0, count);
        }

        f[4] = Relative(unit, centroid, 0);
        if (prompt is not null)
        {
            f[5] = Relative(unit, prompt.First, 0);
            f[6] = Relative(unit, prompt.Last, n - 1);
            var predicted = unit.Select(prompt.PredictPosition).ToArray();
            var tau = KendallTau(predicted);
            var meanPredicted = predicted.Average();
            f[8] = tau / Math.Sqrt(2.0 * ((2 * n) + 5) / (9.0 * n * (n - 1)));
            f[9] = predicted[0] - meanPredicted;
            f[10] = predicted[n - 1] - meanPredicted;
        }

        if (n >= 3)
        {
            var others = 0.0;
            for (var s = 1; s < n - 1; s++)
            {
                others += sim[s, 0];
            }

            f[7] = sim[n - 1, 0] - (others / (n - 2));
        }
    }

    /// <summary>How much more the sentence at <paramref name="index"/> points along <paramref name="direction"/> than the mean sentence.</summary>
    private static double Relative(float[][] unit, float[] direction, int index)
    {
        var mean = 0.0;
        var target = 0.0;
        for (var s = 0; s < unit.Length; s++)
        {
            var dot = 0.0;
            for (var j = 0; j < direction.Length; j++)
            {
                dot += unit[s][j] * direction[j];
            }

            mean += dot / unit.Length;
            target = s == index ? dot : target;
        }

        return target - mean;
    }

    /// <summary>The vector scaled to unit length (zero stays zero).</summary>
    internal static float[] Normalized(float[] v)
    {
        var norm = 0.0;
        foreach (var x in v)
        {
            norm += x * x;
        }

        var result = new float[v.Length];
        if (norm > 0)
        {
            var inv = (float)(1 / Math.Sqrt(norm));
            for (var j = 0; j < v.Length; j++)
            {
                result[j] = v[j] * inv;
            }
        }

        return result;
    }

    /// <summary>Mean similarity of the neighbours of an order.</summary>
    private static double Chain(double[,] sim, int[] order)
    {
        var total = 0.0;
        for (var i = 1; i < order.Length; i++)
        {
            total += sim[order[i - 1], order[i]];
        }

        return total / (order.Length - 1);
    }

    /// <summary>
    /// Whether the positions the model predicts for the sentences rise with their actual positions: Kendall's tau, its
    /// z-score under random order, and the predicted positions of the first and last sentences against the mean.
    /// </summary>
    private static (double Tau, double Z, double First, double Last) PositionEvidence(EssayDocument doc, PositionModel positions)
    {
        var predicted = new double[Math.Min(doc.Sentences.Count, MaxPairwiseSentences)];
        for (var s = 0; s < predicted.Length; s++)
        {
            predicted[s] = positions.Predict(doc, s);
        }

        var tau = KendallTau(predicted);
        // Under a random order tau has mean 0 and this standard deviation, so long essays give stronger evidence.
        var m = predicted.Length;
        var meanPredicted = predicted.Average();
        return (tau, tau / Math.Sqrt(2.0 * ((2 * m) + 5) / (9.0 * m * (m - 1))), predicted[0] - meanPredicted, predicted[m - 1] - meanPredicted);
    }

    /// <summary>
    /// The written order's summed precedence score over all pairs of sentences against seeded random orders (whose mean
    /// is 0 by antisymmetry): a z-score, and the mean per pair.
    /// </summary>
    private static (double Z, double Mean) PrecedenceEvidence(EssayDocument doc, double[,] m, int n)
    {
        var order = Enumerable.Range(0, n).ToArray();
        var actual = Precedes(m, order);
        var rng = new Random((doc.Text.Length * 13) + n);
        const int Permutations = 40;
        var sumSq = 0.0;
        for (var p = 0; p < Permutations; p++)
        {
            rng.Shuffle(order);
            var v = Precedes(m, order);
            sumSq += v * v;
        }

        return (actual / Math.Max(Math.Sqrt(sumSq / Permutations), 0.01), actual / (n * (n - 1) / 2.0));
    }

    private static double Precedes(double[,] m, int[] order)
    {
        var total = 0.0;
        for (var i = 0; i < order.Length; i++)
        {
            for (var j = i + 1; j < order.Length; j++)
            {
                total += m[order[i], order[j]];
            }
        }

        return total;
    }

    /// <summary>
    /// For each written neighbour pair (virtual start and end included), its score against the log-mean-exp of the
    /// scores of every candidate in its place: a successor of the earlier sentence, or a predecessor of the later one.
    /// </summary>
    private static (double Successors, double Predecessors) NeighbourLikelihoods(double[,,] m, int n, int[] breaks)
    {
        double successors = 0, predecessors = 0;
        var candidates = new double[n + 1];
        for (var i = 0; i <= n; i++)
        {
            // Slot i joins x (the virtual start when i = 0) to y (the virtual end when i = n).
            var x = i == 0 ? n : i - 1;
            var y = i == n ? n + 1 : i;
            var brk = breaks[i];
            var written = m[brk, x, y];
            var count = 0;
            for (var c = 0; c < n; c++)
            {
                if (c != x)
                {
                    candidates[count++] = m[brk, x, c];
                }
            }

            if (x != n)
            {
                candidates[count++] = m[1, x, n + 1];
            }

            successors += written - LogMeanExp(candidates, 0, count);
            count = 0;
            for (var c = 0; c < n; c++)
            {
                if (c != y)
                {
                    candidates[count++] = m[brk, c, y];
                }
            }

            if (y != n + 1)
            {
                candidates[count++] = m[1, n, y];
            }

            predecessors += written - LogMeanExp(candidates, 0, count);
        }

        return (successors, predecessors);
    }

    /// <summary>
    /// How likely the written opener (closer) is under the boundary model against a sentence picked at random (a
    /// log-likelihood ratio), and the share of the other sentences the model prefers to it.
    /// </summary>
    private static (double Llr, double Rank) Boundary(double[] scores, int written)
    {
        var higher = 0;
        foreach (var v in scores)
        {
            higher += v > scores[written] ? 1 : 0;
        }

        return (scores[written] - LogMeanExp(scores, 0, scores.Length), (double)higher / (scores.Length - 1));
    }

    /// <summary>
    /// How likely the sentences that open (close) the written paragraphs are as paragraph openers (closers) against
    /// sentences picked at random: summed log-likelihood ratios, 0 for a single paragraph. A shuffle keeps the paragraph
    /// breaks but fills them with whatever sentences land there.
    /// </summary>
    private static (double First, double Last) ParagraphBoundaries(EssayDocument doc, double[][] scores)
    {
        var n = doc.Sentences.Count;
        double first = 0, last = 0;
        double? openerNorm = null, closerNorm = null;
        for (var s = 1; s < n; s++)
        {
            if (doc.Sentences[s].Paragraph == doc.Sentences[s - 1].Paragraph)
            {
                continue;
            }

            openerNorm ??= LogMeanExp(scores[2], 1, n);
            closerNorm ??= LogMeanExp(scores[3], 0, n - 1);
            first += scores[2][s] - openerNorm.Value;
            last += scores[3][s - 1] - closerNorm.Value;
        }

        return (first, last);
    }

    /// <summary>log(mean(exp(values[from..to]))), computed without overflow.</summary>
    private static double LogMeanExp(double[] values, int from, int to)
    {
        var max = double.MinValue;
        for (var i = from; i < to; i++)
        {
            max = Math.Max(max, values[i]);
        }

        var sum = 0.0;
        for (var i = from; i < to; i++)
        {
            sum += Math.Exp(values[i] - max);
        }

        return max + Math.Log(sum / (to - from));
    }

    /// <summary>Mean score of the neighbours of an order (virtual start and end included) given the paragraph breaks between slots.</summary>
    private static double Adjacent(double[,,] m, int[] order, int[] breaks)
    {
        var n = order.Length;
        var total = m[1, n, order[0]] + m[1, order[n - 1], n + 1];
        for (var i = 1; i < n; i++)
        {
            total += m[breaks[i], order[i - 1], order[i]];
        }

        return total / (n + 1);
    }

    /// <summary>
    /// Capitalised function words in mid-sentence right after a lower-case word ("… you don't want What about …"):
    /// a sentence that ended at a line break without a final mark runs into whatever follows it once it is moved.
    /// </summary>
    private static int JoinedFragments(EssayDocument doc)
    {
        var count = 0;
        foreach (var s in doc.Sentences)
        {
            for (var k = s.FirstToken + 1; k < s.FirstToken + s.TokenCount; k++)
            {
                var t = doc.Tokens[k];
                var previous = doc.Tokens[k - 1];
                if (t.Kind == TokenKind.Word && previous.Kind == TokenKind.Word && char.IsUpper(doc.Text[t.Start]) && char.IsLower(doc.Text[previous.Start])
                    && doc.Lower[k] != "i" && WordLists.FunctionWords.Contains(doc.Lower[k]))
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Kendall's tau between the values and their indices (1 = increasing, 0 = unrelated).</summary>
    private static double KendallTau(double[] values)
    {
        var n = values.Length;
        var score = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                score += Math.Sign(values[j] - values[i]);
            }
        }

        return 2.0 * score / (n * (n - 1));
    }

    /// <summary>
    /// Entities whose first mention comes after a higher-numbered entity of the same kind (@CAPS3 before @CAPS1):
    /// ASAP numbered them mostly in reading order, so inversions are rare in real essays and common after a shuffle.
    /// </summary>
    private static int PlaceholderInversions(EssayDocument doc)
    {
        Dictionary<string, int>? highest = null;
        HashSet<string>? seen = null;
        var inversions = 0;
        for (var k = 0; k < doc.Tokens.Count; k++)
        {
            if (doc.Tokens[k].Kind != TokenKind.Placeholder)
            {
                continue;
            }

            var w = doc.Lower[k];
            var digits = w.Length;
            while (digits > 0 && char.IsAsciiDigit(w[digits - 1]))
            {
                digits--;
            }

            if (digits == w.Length || !int.TryParse(w.AsSpan(digits), out var number))
            {
                continue;
            }

            highest ??= new(StringComparer.Ordinal);
            seen ??= new(StringComparer.Ordinal);
            if (!seen.Add(w))
            {
                continue;
            }

            var kind = w[..digits];
            if (highest.TryGetValue(kind, out var max) && number < max)
            {
                inversions++;
            }

            highest[kind] = Math.Max(max, number);
        }

        return inversions;
    }

    private static double Rank(double[] values, int index)
    {
        var higher = 0;
        foreach (var v in values)
        {
            if (v > values[index])
            {
                higher++;
            }
        }

        return (double)higher / Math.Max(1, values.Length - 1);
    }

    private static double KeywordShare(EssayDocument doc, int sentence, PromptProfile profile)
    {
        var s = doc.Sentences[sentence];
        double hit = 0;
        var words = 0;
        for (var k = s.FirstToken; k < s.FirstToken + s.TokenCount; k++)
        {
            if (doc.Tokens[k].Kind != TokenKind.Word)
            {
                continue;
            }

            words++;
            if (profile.TryGetIndex(doc.Lower[k], out var i))
            {
                hit += profile.Weights[i];
            }
        }

        return words == 0 ? 0 : hit / Math.Sqrt(words);
    }

    private static string? FirstLower(EssayDocument doc, int sentence)
    {
        var i = Discourse.FirstWord(doc, doc.Sentences[sentence]);
        return i < 0 ? null : doc.Lower[i];
    }

    private static bool StartsWith(EssayDocument doc, int sentence, HashSet<string> set) =>
        sentence < doc.Sentences.Count && FirstLower(doc, sentence) is { } w && set.Contains(w);

    private static bool Contains(EssayDocument doc, int sentence, string word)
    {
        var s = doc.Sentences[sentence];
        for (var k = s.FirstToken; k < s.FirstToken + s.TokenCount; k++)
        {
            if (doc.Lower[k] == word)
            {
                return true;
            }
        }

        return false;
    }

    private static bool ContainsAny(EssayDocument doc, int sentence, HashSet<string> words)
    {
        var s = doc.Sentences[sentence];
        for (var k = s.FirstToken; k < s.FirstToken + s.TokenCount; k++)
        {
            if (words.Contains(doc.Lower[k]))
            {
                return true;
            }
        }

        return false;
    }
}
