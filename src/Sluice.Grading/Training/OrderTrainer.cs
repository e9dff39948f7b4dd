using Sluice.Grading.Features;
using Sluice.Grading.Integrity;
using Sluice.Grading.Text;

namespace Sluice.Grading.Training;

/// <summary>
/// Trains a prompt's shuffled-order detector self-supervised: every training essay (5+ sentences) in its written order
/// against seeded shuffles of itself that keep its paragraph shape (the attack moves sentences, not line breaks). The
/// sentence-position and neighbouring-sentence models are cross-fitted over two halves of the essays, so the detector
/// and its threshold see their features for essays they never trained on, as at grading time.
/// </summary>
internal sealed class OrderTrainer(TrainingOptions options)
{
    public OrderModel Train(int prompt, IReadOnlyList<EssayDocument> docs, PromptProfile profile)
    {
        var rng = new Random((options.Seed * 7) + prompt);
        var half = new int[docs.Count];
        var order = Enumerable.Range(0, docs.Count).ToArray();
        rng.Shuffle(order);
        for (var i = 0; i < order.Length; i++)
        {
            half[order[i]] = i % 2;
        }

        var positions = new[]
        {
            FitPosition(docs.Where((_, i) => half[i] == 0).ToList()),
            FitPosition(docs.Where((_, i) => half[i] == 1).ToList()),
        };
        var pairs = new[]
        {
            FitPairs(docs.Where((_, i) => half[i] == 0).ToList()),
            FitPairs(docs.Where((_, i) => half[i] == 1).ToList()),
        };
        var x = new List<double[]>();
        var y = new List<int>();
        for (var i = 0; i < docs.Count; i++)
        {
            var doc = docs[i];
            if (doc.Sentences.Count < 5)
            {
                continue;
            }

            var position = positions[1 - half[i]];
            var pair = pairs[1 - half[i]];
            x.Add(OrderFeatures.Compute(doc, profile, position, pair));
            y.Add(0);
            for (var k = 0; k < options.OrderShuffles; k++)
            {
                x.Add(OrderFeatures.Compute(Shuffle(doc, rng), profile, position, pair));
                y.Add(1);
            }
        }

        var (means, stds) = GraderTrainer.Standardization(x);
        var z = x.Select(r => r.Select((v, j) => stds[j] == 0 ? 0 : (v - means[j]) / stds[j]).ToArray()).ToList();
        // Shuffles outnumber originals; weighting by repetition would change nothing but the bias, which the threshold absorbs.
        var (w, b) = Logistic.Fit(z, y);
        var model = new OrderModel
        {
            Position = FitPosition(docs), Pairs = FitPairs(docs), Means = [.. means.Select(GraderTrainer.Round)], Stds = [.. stds.Select(GraderTrainer.Round)],
            Weights = [.. w.Select(GraderTrainer.Round)], Bias = GraderTrainer.Round(b), Threshold = 0, TrainingRecall = 0,
        };
        var originals = x.Where((_, i) => y[i] == 0).Select(model.Probability).Order().ToArray();
        var threshold = Math.Round(originals[(int)Math.Ceiling((1 - options.OrderFalseAlarmRate) * (originals.Length - 1))], 4);
        var shuffled = x.Where((_, i) => y[i] == 1).Select(model.Probability).ToArray();
        return model with { Threshold = threshold, TrainingRecall = Math.Round(shuffled.Count(p => p > threshold) / (double)shuffled.Length, 3) };
    }

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

        var vocab = freq.Where(kv => kv.Value >= 5).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(options.PositionKeys).Select(kv => kv.Key).ToArray();
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
    /// Logistic model of "b follows a": each real neighbour pair against a random non-neighbour pair with the same first
    /// sentence (so cues of a alone cancel out); plain seeded SGD over the most frequent keys.
    /// </summary>
    public PairModel FitPairs(IReadOnlyList<EssayDocument> docs)
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
                // The negative: a random other sentence after the start, before the end, or after a (never a or its successor).
                (int, int, int)[] pairsOf = a switch
                {
                    < 0 => [(first, next, 1), (first, rng.Next(n - 1) + 1, 0)],
                    _ when a == n - 1 => [(first, next, 1), (rng.Next(n - 1), n + 1, 0)],
                    _ => [(first, next, 1), (first, rng.Next(n - 2) is var o && o >= a ? o + 2 : o, 0)],
                };
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

        var vocab = freq.Where(kv => kv.Value >= 5).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(options.PairKeys).Select(kv => kv.Key).ToArray();
        var index = vocab.Select((k, i) => (k, i)).ToDictionary(p => p.k, p => p.i, StringComparer.Ordinal);
        var encoded = rows.Select(r => (Keys: r.Keys.Where(index.ContainsKey).Select(k => index[k]).ToArray(), r.Label)).ToArray();
        var w = new double[vocab.Length];
        var order = Enumerable.Range(0, encoded.Length).ToArray();
        for (var epoch = 0; epoch < 6; epoch++)
        {
            rng.Shuffle(order);
            var rate = 0.1 / (1 + epoch);
            foreach (var r in order)
            {
                var (keys, label) = encoded[r];
                var s = 0.0;
                foreach (var k in keys)
                {
                    s += w[k];
                }

                var err = (1 / (1 + Math.Exp(-s))) - label;
                foreach (var k in keys)
                {
                    w[k] -= rate * (err + (options.PairL2 * w[k]));
                }
            }
        }

        // Three decimals are far below the weights' noise and keep the model file small.
        return new PairModel { Keys = vocab, Weights = [.. w.Select(v => (float)Math.Round(v, 3))] };
    }
}
