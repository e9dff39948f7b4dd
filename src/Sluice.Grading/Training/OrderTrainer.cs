using Sluice.Grading.Features;
using Sluice.Grading.Integrity;
using Sluice.Grading.Text;

namespace Sluice.Grading.Training;

/// <summary>
/// Trains a prompt's shuffled-order detector self-supervised: every training essay (5+ sentences) in its written order
/// against seeded shuffles of itself that keep its paragraph shape (the attack moves sentences, not line breaks). The
/// component models (sentence position, neighbouring sentences, opening/closing sentences, and the shared all-prompt
/// neighbour, boundary and precedence models) are cross-fitted over two halves of the essays, so the detector and its
/// thresholds see their features for essays they never trained on, as at grading time.
/// </summary>
internal sealed class OrderTrainer(TrainingOptions options)
{
    /// <summary>
    /// The shared (all-prompt) models, trained on every prompt's essays, and the two cross-fitting halves (each trained on
    /// the essays of <see cref="Halves"/> = 0 or 1 of every prompt) that <see cref="Train"/> uses for its features.
    /// </summary>
    public (SharedOrderModel Full, SharedOrderModel[] Halves) TrainShared(IReadOnlyDictionary<int, List<EssayDocument>> byPrompt)
    {
        var parts = new List<EssayDocument>[] { [], [] };
        foreach (var (prompt, docs) in byPrompt.OrderBy(kv => kv.Key))
        {
            var half = Halves(prompt, docs.Count);
            for (var i = 0; i < docs.Count; i++)
            {
                parts[half[i]].Add(docs[i]);
            }
        }

        var all = byPrompt.OrderBy(kv => kv.Key).SelectMany(kv => kv.Value).ToList();
        var models = new SharedOrderModel[3];
        var sets = new[] { all, parts[0], parts[1] };
        Parallel.For(0, 3, k => models[k] = new SharedOrderModel
        {
            Pairs = FitPairs(sets[k], options.SharedPairKeys, options.SharedPairSlots), Boundary = FitBoundary(sets[k]),
            Precedence = FitPrecedence(sets[k], options.SharedPairKeys, options.SharedPairSlots),
            // Cross-fitted too, though sentence-level co-occurrence is blind to order: vectors fitted to an essay's own
            // words make its sentences look related, and features from them ran more false alarms on dev (64 against 56).
            Semantic = new WordVectorTrainer(options.SemanticWords, options.SemanticDimensions, options.Seed).Train(sets[k]),
        });
        return (models[0], [models[1], models[2]]);
    }

    /// <summary>Which cross-fitting half (0 or 1) each of a prompt's training essays belongs to; seeded, so the shared and per-prompt models agree.</summary>
    public int[] Halves(int prompt, int count)
    {
        var rng = new Random((options.Seed * 7) + prompt);
        var half = new int[count];
        var order = Enumerable.Range(0, count).ToArray();
        rng.Shuffle(order);
        for (var i = 0; i < order.Length; i++)
        {
            half[order[i]] = i % 2;
        }

        return half;
    }

    public OrderModel Train(int prompt, IReadOnlyList<EssayDocument> docs, PromptProfile profile, SharedOrderModel sharedFull, SharedOrderModel[] sharedHalves)
    {
        var rng = new Random((options.Seed * 11) + prompt);
        var half = Halves(prompt, docs.Count);
        var positions = new[]
        {
            FitPosition(docs.Where((_, i) => half[i] == 0).ToList()),
            FitPosition(docs.Where((_, i) => half[i] == 1).ToList()),
        };
        var pairs = new[]
        {
            FitPairs(docs.Where((_, i) => half[i] == 0).ToList(), options.PairKeys, options.PairSlots),
            FitPairs(docs.Where((_, i) => half[i] == 1).ToList(), options.PairKeys, options.PairSlots),
        };
        var boundaries = new[]
        {
            FitBoundary(docs.Where((_, i) => half[i] == 0).ToList()),
            FitBoundary(docs.Where((_, i) => half[i] == 1).ToList()),
        };
        var semanticPrompts = new[]
        {
            FitSemanticPrompt(docs.Where((_, i) => half[i] == 0).ToList(), sharedHalves[0].Semantic),
            FitSemanticPrompt(docs.Where((_, i) => half[i] == 1).ToList(), sharedHalves[1].Semantic),
        };

        var x = new List<double[]>();
        var y = new List<int>();
        var longer = new List<bool>();
        for (var i = 0; i < docs.Count; i++)
        {
            var doc = docs[i];
            if (doc.Sentences.Count < OrderModel.MinSentences)
            {
                continue;
            }

            var position = positions[1 - half[i]];
            var pair = pairs[1 - half[i]];
            var boundary = boundaries[1 - half[i]];
            var shared = sharedHalves[1 - half[i]];
            var semanticPrompt = semanticPrompts[1 - half[i]];
            x.Add(OrderFeatures.Compute(doc, profile, position, pair, boundary, shared, semanticPrompt));
            y.Add(0);
            longer.Add(doc.Sentences.Count > OrderModel.MinSentences);
            for (var k = 0; k < options.OrderShuffles; k++)
            {
                x.Add(OrderFeatures.Compute(Shuffle(doc, rng), profile, position, pair, boundary, shared, semanticPrompt));
                y.Add(1);
                longer.Add(doc.Sentences.Count > OrderModel.MinSentences);
            }
        }

        var (means, stds) = GraderTrainer.Standardization(x);
        var z = x.Select(r => r.Select((v, j) => stds[j] == 0 ? 0 : (v - means[j]) / stds[j]).ToArray()).ToList();
        // Shuffles outnumber originals; weighting by repetition would change nothing but the bias, which the threshold absorbs.
        var (w, b) = Logistic.Fit(z, y, iterations: options.OrderIterations);
        var model = new OrderModel
        {
            Position = FitPosition(docs), Pairs = FitPairs(docs, options.PairKeys, options.PairSlots), Boundary = FitBoundary(docs), Semantic = FitSemanticPrompt(docs, sharedFull.Semantic), Means = [.. means.Select(GraderTrainer.Round)], Stds = [.. stds.Select(GraderTrainer.Round)],
            Weights = [.. w.Select(GraderTrainer.Round)], Bias = GraderTrainer.Round(b), Threshold = 0, ShortThreshold = 0, TrainingRecall = 0,
        };
        // The budget is a share of all essays: shorter ones are never flagged and the shortest flagged ones get a small
        // share, so the rest may use theirs.
        var originals = x.Where((_, i) => y[i] == 0 && longer[i]).Select(model.Probability).Order().ToArray();
        var shortOriginals = x.Where((_, i) => y[i] == 0 && !longer[i]).Select(model.Probability).Order().ToArray();
        var rate = Math.Min(1, ((options.OrderFalseAlarmRate * docs.Count) - (options.OrderShortFalseAlarmRate * shortOriginals.Length)) / Math.Max(1, originals.Length));
        var shuffled = x.Where((_, i) => y[i] == 1 && longer[i]).Select(model.Probability).ToArray();
        var threshold = Quantile(originals, rate);
        return model with
        {
            Threshold = threshold, ShortThreshold = Quantile(shortOriginals, options.OrderShortFalseAlarmRate),
            TrainingRecall = Math.Round(shuffled.Count(p => p > threshold) / (double)Math.Max(1, shuffled.Length), 3),
        };
    }

    /// <summary>
    /// A prompt's cues in the semantic sentence space: the directions along which first (last) sentences differ from
    /// their essay's mean sentence, averaged over the essays (what openers and closers talk about; a trained conditional
    /// logit did no better on dev), and ridge regression of a sentence's relative position on its unit vector.
    /// </summary>
    public SemanticPromptModel FitSemanticPrompt(IReadOnlyList<EssayDocument> docs, SemanticModel semantic)
    {
        var d = semantic.Dimensions;
        var first = new double[d];
        var last = new double[d];
        var essays = 0;
        var gram = new double[(d + 1) * (d + 1)];
        var rhs = new double[d + 1];
        foreach (var doc in docs)
        {
            var n = Math.Min(doc.Sentences.Count, 200);
            if (n < 3)
            {
                continue;
            }

            var unit = semantic.SentenceVectors(doc, n).Select(OrderFeatures.Normalized).ToArray();
            essays++;
            for (var j = 0; j < d; j++)
            {
                var mean = unit.Average(u => u[j]);
                first[j] += unit[0][j] - mean;
                last[j] += unit[n - 1][j] - mean;
            }

            for (var s = 0; s < n; s++)
            {
                var target = (double)s / (n - 1);
                for (var a = 0; a <= d; a++)
                {
                    var xa = a == d ? 1 : unit[s][a];
                    rhs[a] += xa * target;
                    for (var b = 0; b <= d; b++)
                    {
                        gram[(a * (d + 1)) + b] += xa * (b == d ? 1 : unit[s][b]);
                    }
                }
            }
        }

        for (var a = 0; a < d; a++)
        {
            gram[(a * (d + 1)) + a] += options.SemanticPositionLambda;
        }

        gram[(d * (d + 1)) + d] += 1e-6;
        var positionWeights = LinearAlgebra.SolveSpd(gram, d + 1, rhs);

        var count = Math.Max(1, essays);
        return new SemanticPromptModel
        {
            First = [.. first.Select(v => (float)Math.Round(v / count, 4))], Last = [.. last.Select(v => (float)Math.Round(v / count, 4))],
            Position = [.. positionWeights.Take(d).Select(v => (float)Math.Round(v, 4))], PositionBias = (float)Math.Round(positionWeights[d], 4),
        };
    }

    /// <summary>
    /// The <paramref name="maxKeys"/> most frequent keys seen at least 5 times, most frequent first and ties in ordinal
    /// order, so the same data always gives the same vocabulary.
    /// </summary>
    private static string[] TopKeys(Dictionary<string, int> freq, int maxKeys) =>
        freq.Where(kv => kv.Value >= 5).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(maxKeys).Select(kv => kv.Key).ToArray();

    /// <summary>Each key's weight slot among <paramref name="slots"/> (the model file stores weights by slot, not by key).</summary>
    private static Dictionary<string, int> HashedSlots(string[] keys, int slots) =>
        keys.ToDictionary(k => k, k => KeyHash.Slot(k, slots), StringComparer.Ordinal);

    /// <summary>The slots of the keys that have one, in order.</summary>
    private static int[] Slots(IEnumerable<string> keys, Dictionary<string, int> index) => keys.Where(index.ContainsKey).Select(k => index[k]).ToArray();

    /// <summary>
    /// Seeded SGD for a logistic model over hashed slots: score = Σ w[plus] − Σ w[minus], labels 0 or 1, learning rate
    /// <paramref name="rate0"/> / (1 + epoch), L2 penalty <paramref name="l2"/>.
    /// </summary>
    private static double[] FitLogistic((int[] Plus, int[] Minus, double Label)[] rows, int slots, int epochs, double rate0, double l2, Random rng)
    {
        var w = new double[slots];
        var order = Enumerable.Range(0, rows.Length).ToArray();
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            rng.Shuffle(order);
            var rate = rate0 / (1 + epoch);
            foreach (var r in order)
            {
                var (plus, minus, label) = rows[r];
                var s = 0.0;
                foreach (var k in plus)
                {
                    s += w[k];
                }

                foreach (var k in minus)
                {
                    s -= w[k];
                }

                var err = (1 / (1 + Math.Exp(-s))) - label;
                foreach (var k in plus)
                {
                    w[k] -= rate * (err + (l2 * w[k]));
                }

                foreach (var k in minus)
                {
                    w[k] += rate * (err - (l2 * w[k]));
                }
            }
        }

        return w;
    }

    /// <summary>The value that <paramref name="rate"/> of the sorted values exceed (1 when there are none).</summary>
    private static double Quantile(double[] sorted, double rate) =>
        sorted.Length == 0 ? 1 : Math.Round(sorted[(int)Math.Ceiling((1 - rate) * (sorted.Length - 1))], 4);

    /// <summary>The same sentences in a different random order; sentence i goes where sentence i was, so paragraphs keep their sizes.</summary>
    public static EssayDocument Shuffle(EssayDocument doc, Random rng)
    {
        var original = Enumerable.Range(0, doc.Sentences.Count).Select(doc.SentenceText).ToArray();
        var shuffled = (string[])original.Clone();
        do
        {
            rng.Shuffle(shuffled);
        }
        while (shuffled.SequenceEqual(original));

        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < shuffled.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(doc.Sentences[i].Paragraph != doc.Sentences[i - 1].Paragraph ? "\n\n" : " ");
            }

            sb.Append(shuffled[i]);
        }

        return Tokenizer.Analyze(sb.ToString());
    }

    /// <summary>
    /// Ridge regression of each sentence's relative position (0 … 1) on its keys: the most frequent keys only, solved in
    /// closed form (a constant key carries the unpenalised intercept).
    /// </summary>
    public PositionModel FitPosition(IReadOnlyList<EssayDocument> docs)
    {
        var sentences = new List<(HashSet<string> Keys, double Position)>();
        var freq = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var doc in docs)
        {
            var n = doc.Sentences.Count;
            if (n < 2)
            {
                continue;
            }

            for (var s = 0; s < n; s++)
            {
                var keys = PositionModel.SentenceKeys(doc, s);
                sentences.Add((keys, (double)s / (n - 1)));
                foreach (var k in keys)
                {
                    freq[k] = freq.GetValueOrDefault(k) + 1;
                }
            }
        }

        var vocab = TopKeys(freq, options.PositionKeys);
        var index = vocab.Select((k, i) => (k, i)).ToDictionary(p => p.k, p => p.i, StringComparer.Ordinal);
        var d = vocab.Length + 1;
        var a = new double[d * d];
        var rhs = new double[d];
        var active = new List<int>();
        foreach (var (keys, position) in sentences)
        {
            active.Clear();
            foreach (var k in keys)
            {
                if (index.TryGetValue(k, out var i))
                {
                    active.Add(i);
                }
            }

            active.Add(vocab.Length);
            foreach (var i in active)
            {
                rhs[i] += position;
                foreach (var j in active)
                {
                    a[(i * d) + j] += 1;
                }
            }
        }

        for (var i = 0; i < d; i++)
        {
            a[(i * d) + i] += i == vocab.Length ? 1e-6 : options.PositionLambda;
        }

        var w = LinearAlgebra.SolveSpd(a, d, rhs);
        return new PositionModel { Keys = vocab, Weights = [.. w.Take(vocab.Length).Select(v => (float)Math.Round(v, 4))], Bias = GraderTrainer.Round(w[vocab.Length]) };
    }

    /// <summary>
    /// Conditional logit of "which sentence opens (closes) this essay" over each essay's sentences: plain seeded SGD
    /// on the softmax over the essay's sentences, so what every sentence of an essay shares cancels out.
    /// </summary>
    public BoundaryModel FitBoundary(IReadOnlyList<EssayDocument> docs)
    {
        var rng = new Random(options.Seed + (3 * docs.Count));
        var essays = new List<HashSet<string>[]>();
        var breaks = new List<int[]>();
        var freq = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var doc in docs)
        {
            var n = doc.Sentences.Count;
            if (n < 3)
            {
                continue;
            }

            breaks.Add([.. Enumerable.Range(1, n - 1).Where(s => doc.Sentences[s].Paragraph != doc.Sentences[s - 1].Paragraph)]);
            var keys = new HashSet<string>[n];
            for (var s = 0; s < n; s++)
            {
                keys[s] = BoundaryModel.SentenceKeys(doc, s);
                foreach (var k in keys[s])
                {
                    freq[k] = freq.GetValueOrDefault(k) + 1;
                }
            }

            essays.Add(keys);
        }

        var vocab = TopKeys(freq, options.BoundaryKeys);
        var slots = options.BoundarySlots;
        var index = HashedSlots(vocab, slots);
        var encoded = essays.Select(e => e.Select(keys => keys.Where(index.ContainsKey).Select(k => index[k]).Distinct().ToArray()).ToArray()).ToArray();
        var first = new double[slots];
        var last = new double[slots];
        var opener = new double[slots];
        var closer = new double[slots];
        var order = Enumerable.Range(0, encoded.Length).ToArray();
        for (var epoch = 0; epoch < 8; epoch++)
        {
            rng.Shuffle(order);
            var rate = 0.2 / (1 + epoch);
            foreach (var e in order)
            {
                var sentences = encoded[e];
                var n = sentences.Length;
                Step(first, sentences, 0, 0, n, rate);
                Step(last, sentences, n - 1, 0, n, rate);
                // Paragraph openers among all but the first sentence, closers among all but the last.
                foreach (var b in breaks[e])
                {
                    Step(opener, sentences, b, 1, n, rate);
                    Step(closer, sentences, b - 1, 0, n - 1, rate);
                }
            }
        }

        return new BoundaryModel { First = Quantize(first), Last = Quantize(last), ParagraphFirst = Quantize(opener), ParagraphLast = Quantize(closer) };

        void Step(double[] w, int[][] sentences, int target, int from, int to, double rate)
        {
            var scores = new double[sentences.Length];
            var max = double.MinValue;
            for (var s = from; s < to; s++)
            {
                foreach (var k in sentences[s])
                {
                    scores[s] += w[k];
                }

                max = Math.Max(max, scores[s]);
            }

            var sum = 0.0;
            for (var s = from; s < to; s++)
            {
                scores[s] = Math.Exp(scores[s] - max);
                sum += scores[s];
            }

            for (var s = from; s < to; s++)
            {
                var err = (scores[s] / sum) - (s == target ? 1 : 0);
                foreach (var k in sentences[s])
                {
                    w[k] -= rate * (err + (options.BoundaryL2 * w[k]));
                }
            }
        }
    }

    /// <summary>
    /// Weights in hundredths, far below their noise, and the smallest set to 0: the model file stores every slot as text,
    /// and runs of zeros compress to almost nothing.
    /// </summary>
    private short[] Quantize(double[] w) =>
        [.. w.Select(v => Math.Abs(v) < options.OrderMinWeight ? (short)0 : (short)Math.Clamp(Math.Round(v * 100), short.MinValue, short.MaxValue))];

    /// <summary>
    /// Logistic model of "a comes before b" over sampled pairs of sentences of the same essay (any distance apart), with
    /// antisymmetric features (the keys of "b before a" count against), so true-order pairs alone teach it and a random
    /// order scores 0 on average; plain seeded SGD over the most frequent keys, hashed into weight slots.
    /// </summary>
    public PrecedenceModel FitPrecedence(IReadOnlyList<EssayDocument> docs, int maxKeys, int slots)
    {
        var rng = new Random(options.Seed + (5 * docs.Count));
        var rows = new List<(List<string> Forward, List<string> Backward)>();
        var freq = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var doc in docs)
        {
            var n = doc.Sentences.Count;
            if (n < 3)
            {
                continue;
            }

            var cues = PairModel.Cues(doc, n);
            for (var k = 0; k < options.PrecedencePairsPerSentence * n; k++)
            {
                var a = rng.Next(n);
                var b = rng.Next(n - 1);
                b = b >= a ? b + 1 : b;
                (a, b) = (Math.Min(a, b), Math.Max(a, b));
                var forward = new List<string>();
                var backward = new List<string>();
                PrecedenceModel.DirectedKeys(cues[a], cues[b], forward);
                PrecedenceModel.DirectedKeys(cues[b], cues[a], backward);
                rows.Add((forward, backward));
                foreach (var key in forward.Concat(backward))
                {
                    freq[key] = freq.GetValueOrDefault(key) + 1;
                }
            }
        }

        var vocab = TopKeys(freq, maxKeys);
        var index = HashedSlots(vocab, slots);
        // "a before b" scores a's forward keys against b's backward ones: an antisymmetric logistic model, label 1.
        var encoded = rows.Select(r => (Slots(r.Forward, index), Slots(r.Backward, index), 1.0)).ToArray();
        var w = FitLogistic(encoded, slots, epochs: 4, rate0: 0.05, options.PairL2, rng);
        return new PrecedenceModel { Weights = Quantize(w) };
    }

    /// <summary>
    /// Logistic model of "b follows a": each real neighbour pair against random non-neighbour pairs with the same first
    /// sentence (so cues of a alone cancel out); plain seeded SGD over the most frequent keys.
    /// </summary>
    public PairModel FitPairs(IReadOnlyList<EssayDocument> docs, int maxKeys, int slots)
    {
        var rng = new Random(options.Seed + docs.Count);
        var rows = new List<(List<string> Keys, int Label)>();
        var freq = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var doc in docs)
        {
            var n = doc.Sentences.Count;
            if (n < 3)
            {
                continue;
            }

            var cues = PairModel.Cues(doc, n);
            // Slots -1 (virtual start) … n (virtual end); the negative keeps the slot's paragraph break, as a shuffle does.
            for (var a = -1; a < n; a++)
            {
                var next = a + 1 == n ? n + 1 : a + 1;
                var brk = a < 0 || a == n - 1 || doc.Sentences[a].Paragraph != doc.Sentences[a + 1].Paragraph;
                var first = a < 0 ? n : a;
                // The negatives: random other sentences after the start, before the end, or after a (never a or its successor).
                var pairsOf = new List<(int, int, int)> { (first, next, 1) };
                for (var k = 0; k < options.PairNegatives; k++)
                {
                    pairsOf.Add(a switch
                    {
                        < 0 => (first, rng.Next(n - 1) + 1, 0),
                        _ when a == n - 1 => (rng.Next(n - 1), n + 1, 0),
                        _ => (first, rng.Next(n - 2) is var o && o >= a ? o + 2 : o, 0),
                    });
                }

                foreach (var (x, y, label) in pairsOf)
                {
                    var keys = new List<string>();
                    PairModel.PairKeys(cues[x], cues[y], brk, keys);
                    rows.Add((keys, label));
                    foreach (var k in keys)
                    {
                        freq[k] = freq.GetValueOrDefault(k) + 1;
                    }
                }
            }
        }

        var vocab = TopKeys(freq, maxKeys);
        var index = HashedSlots(vocab, slots);
        var encoded = rows.Select(r => (Slots(r.Keys, index), Array.Empty<int>(), (double)r.Label)).ToArray();
        var w = FitLogistic(encoded, slots, epochs: 6, rate0: 0.1, options.PairL2, rng);

        return new PairModel { Weights = Quantize(w) };
    }
}
