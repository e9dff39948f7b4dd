using Sluice.Grading.Data;
using Sluice.Grading.Features;
using Sluice.Grading.Scoring;
using Sluice.Grading.Text;

namespace Sluice.Grading.Training;

/// <summary>
/// Learns the grading model: per prompt, a sparse n-gram ridge regressor (its out-of-fold prediction becomes one input),
/// then ridge heads over standardized hand-crafted features for the holistic score and each trait, with QWK-tuned cut
/// points; plus a prompt-independent model on normalized scores. Deterministic for a given seed.
/// </summary>
internal sealed class GraderTrainer(EssayAnalyzer analyzer, TrainingOptions options)
{
    public TrainingOptions Options => options;

    public EssayAnalyzer Analyzer => analyzer;

    /// <summary>Analyses essays (in parallel; order of the result follows the input).</summary>
    public PreparedEssay[] Prepare(IReadOnlyList<AsapEssay> essays)
    {
        var result = new PreparedEssay[essays.Count];
        Parallel.For(0, essays.Count, i =>
        {
            var a = analyzer.Spelling(essays[i].Text);
            EssayAnalyzer.Grammar(a);
            var view = ScoringView.Of(a.Doc);
            var f = FeatureExtractor.Compute(view, a.Errors, null);
            result[i] = new PreparedEssay(essays[i], a.Doc, view, f, NgramExtractor.Count(view));
        });
        return result;
    }

    public GradingModel Train(IReadOnlyList<PreparedEssay> train, string trainedOn)
    {
        var byPrompt = train.GroupBy(e => e.Essay.Prompt).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.ToList());
        var profiles = BuildProfiles(byPrompt);
        var sharedOrder = new OrderTrainer(options).TrainShared(byPrompt.ToDictionary(kv => kv.Key, kv => kv.Value.Select(e => e.Doc).ToList()));
        var models = new PromptModel[byPrompt.Count];
        var keys = byPrompt.Keys.ToArray();
        Parallel.For(0, keys.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, k =>
            models[k] = TrainPrompt(keys[k], byPrompt[keys[k]], profiles[keys[k]], sharedOrder.Full, sharedOrder.Halves));
        return new GradingModel
        {
            Seed = options.Seed,
            TrainedOn = trainedOn,
            CommonWords = CommonWords(train),
            Prompts = models,
            Generic = TrainGeneric(train),
            Syntax = TrainSyntax(train),
            SharedOrder = sharedOrder.Full,
            PromptClassifier = PromptClassifierTrainer.Train(byPrompt, profiles, options),
        };
    }

    /// <summary>Class-bigram model over all training essays; threshold = 1st percentile of their scores.</summary>
    private static Integrity.SyntaxModel TrainSyntax(IReadOnlyList<PreparedEssay> train)
    {
        var freq = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in train)
        {
            for (var i = 0; i < e.Doc.Tokens.Count; i++)
            {
                if (e.Doc.Tokens[i].Kind == TokenKind.Word)
                {
                    freq[e.Doc.Lower[i]] = freq.GetValueOrDefault(e.Doc.Lower[i]) + 1;
                }
            }
        }

        var words = freq.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(60).Select(kv => kv.Key).ToArray();
        var shell = new Integrity.SyntaxModel { Words = words, Bigram = [], Unigram = [], Threshold = 0 };
        var k = shell.ClassCount;
        var bigram = new double[k * k];
        var unigram = new double[k];
        foreach (var e in train)
        {
            var prev = shell.Start;
            var prevSentence = -1;
            for (var i = 0; i < e.Doc.Tokens.Count; i++)
            {
                var t = e.Doc.Tokens[i];
                if (t.Kind == TokenKind.Punctuation)
                {
                    continue;
                }

                if (t.Sentence != prevSentence)
                {
                    prev = shell.Start;
                    prevSentence = t.Sentence;
                }

                var c = shell.ClassOf(e.Doc.Lower[i], t.Kind);
                bigram[(prev * k) + c]++;
                unigram[c]++;
                prev = c;
            }
        }

        var total = unigram.Sum();
        var bigramLog = new float[k * k];
        for (var a = 0; a < k; a++)
        {
            var row = 0.0;
            for (var b = 0; b < k; b++)
            {
                row += bigram[(a * k) + b];
            }

            for (var b = 0; b < k; b++)
            {
                // Add-0.5 smoothing keeps unseen transitions finite.
                bigramLog[(a * k) + b] = (float)Math.Round(Math.Log((bigram[(a * k) + b] + 0.5) / (row + (0.5 * k))), 3);
            }
        }

        var unigramLog = unigram.Select(u => (float)Math.Round(Math.Log((u + 0.5) / (total + (0.5 * k))), 3)).ToArray();
        var model = shell with { Bigram = bigramLog, Unigram = unigramLog };

        // Threshold halfway between the 0.1st percentile of real essays and the 99.9th of word salads (each essay's own
        // words shuffled into 12-word "sentences"): the two are far apart, so false alarms stay rare. Percentiles on
        // both sides, and a shuffle seeded by the essay, so that one essay's tokens changing does not move the
        // threshold (with one generator for all and the highest salad it moved from 0.057 to 0.122 after a tokenizer
        // fix touched a few essays, and 16 instead of 3 real held-out essays read as gibberish).
        var real = new List<double>();
        var salads = new List<double>();
        foreach (var e in train)
        {
            var (score, n) = model.Score(e.Doc);
            if (n < 25)
            {
                continue;
            }

            real.Add(score);
            var classes = new List<int>();
            for (var i = 0; i < e.Doc.Tokens.Count; i++)
            {
                if (e.Doc.Tokens[i].Kind != TokenKind.Punctuation)
                {
                    classes.Add(model.ClassOf(e.Doc.Lower[i], e.Doc.Tokens[i].Kind));
                }
            }

            var shuffled = classes.ToArray();
            new Random(20120 + e.Essay.Id).Shuffle(shuffled);
            double sum = 0;
            for (var i = 0; i < shuffled.Length; i++)
            {
                var prev = i % 12 == 0 ? model.Start : shuffled[i - 1];
                sum += model.Bigram[(prev * k) + shuffled[i]] - model.Unigram[shuffled[i]];
            }

            salads.Add(sum / shuffled.Length);
        }

        real.Sort();
        salads.Sort();
        var low = real[(int)(0.001 * (real.Count - 1))];
        var salad = salads[(int)(0.999 * (salads.Count - 1))];
        return model with { Threshold = Math.Round((low + salad) / 2, 4) };
    }

    public Dictionary<int, PromptProfile> BuildProfiles(Dictionary<int, List<PreparedEssay>> byPrompt)
    {
        var df = new Dictionary<int, Dictionary<string, int>>();
        var total = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (p, essays) in byPrompt)
        {
            var d = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var e in essays)
            {
                foreach (var w in ContentWords(e.Doc))
                {
                    d[w] = d.GetValueOrDefault(w) + 1;
                    total[w] = total.GetValueOrDefault(w) + 1;
                }
            }

            df[p] = d;
        }

        var all = byPrompt.Values.Sum(v => v.Count);
        var result = new Dictionary<int, PromptProfile>();
        foreach (var (p, essays) in byPrompt)
        {
            var n = essays.Count;
            var others = Math.Max(1, all - n);
            var scored = new List<(string Word, double Score, double Weight)>();
            foreach (var (w, c) in df[p])
            {
                var fp = (double)c / n;
                if (fp < 0.02)
                {
                    continue;
                }

                var fo = (double)(total[w] - c) / others;
                var ratio = Math.Log((fp + 0.001) / (fo + 0.001));
                if (ratio <= 1.0)
                {
                    continue;
                }

                // Squaring the log-odds lets distinctive words ("patience", "laughter") outweigh narrative filler.
                var capped = Math.Min(ratio, 5);
                scored.Add((w, fp * ratio, Math.Sqrt(fp) * capped * capped));
            }

            var top = scored.OrderByDescending(s => s.Score).ThenBy(s => s.Word, StringComparer.Ordinal).Take(options.Keywords).ToArray();
            result[p] = new PromptProfile(p, [.. top.Select(t => t.Word)], [.. top.Select(t => (float)Math.Round(t.Weight, 4))]);
        }

        return result;
    }

    private PromptModel TrainPrompt(int prompt, List<PreparedEssay> essays, PromptProfile profile, Integrity.SharedOrderModel sharedOrderFull, Integrity.SharedOrderModel[] sharedOrderHalves)
    {
        var scale = PromptScale.Get(prompt);
        var n = essays.Count;
        var features = essays.Select(e => FeatureExtractor.WithProfile(e.Features, e.ScoringDoc, profile)).ToArray();
        var y = essays.Select(e => (double)e.Essay.Score).ToArray();

        // N-gram vocabulary: most frequent terms by document frequency (ties broken by the term, for reproducibility).
        var docFreq = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in essays)
        {
            foreach (var term in e.Ngrams.Keys)
            {
                docFreq[term] = docFreq.GetValueOrDefault(term) + 1;
            }
        }

        var vocab = docFreq.Where(kv => kv.Value >= options.MinDocumentFrequency)
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(options.VocabularySize).Select(kv => kv.Key).ToArray();
        var vocabIndex = vocab.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);
        var idf = vocab.Select(t => (float)Math.Round(Math.Log((1.0 + n) / (1.0 + docFreq[t])) + 1, 4)).ToArray();
        var rows = essays.Select(e => TfIdf.Row(e.Ngrams, vocabIndex, idf)).ToArray();
        var gram = KernelRidge.Gram(rows, vocab.Length);

        // Inner folds give out-of-fold n-gram scores, so the heads learn how much to trust them on unseen essays.
        var foldOf = new int[n];
        var order = Enumerable.Range(0, n).ToArray();
        new Random(options.Seed + prompt).Shuffle(order);
        for (var i = 0; i < n; i++)
        {
            foldOf[order[i]] = i % options.InnerFolds;
        }

        double[]? bestOof = null;
        var bestLambda = options.NgramLambdas[0];
        var bestError = double.MaxValue;
        foreach (var lambda in options.NgramLambdas)
        {
            var oof = new double[n];
            for (var f = 0; f < options.InnerFolds; f++)
            {
                var tr = Enumerable.Range(0, n).Where(i => foldOf[i] != f).ToArray();
                var (alpha, mean) = KernelRidge.Solve(gram, n, tr, y, lambda);
                for (var i = 0; i < n; i++)
                {
                    if (foldOf[i] == f)
                    {
                        oof[i] = KernelRidge.PredictFromGram(gram, n, i, tr, alpha, mean);
                    }
                }
            }

            var err = 0.0;
            for (var i = 0; i < n; i++)
            {
                err += (oof[i] - y[i]) * (oof[i] - y[i]);
            }

            if (err < bestError)
            {
                bestError = err;
                bestLambda = lambda;
                bestOof = oof;
            }
        }

        var all = Enumerable.Range(0, n).ToArray();
        var (fullAlpha, fullMean) = KernelRidge.Solve(gram, n, all, y, bestLambda);
        var weights = KernelRidge.PrimalWeights(rows, all, fullAlpha, vocab.Length);

        var oofScores = bestOof!;
        var (means, stds) = Standardization(features);
        IgnoreParagraphsUnlessLearnable(features, stds, FeatureExtractor.ParagraphIndices);
        var ngMean = oofScores.Average();
        var ngStd = Math.Sqrt(oofScores.Select(v => (v - ngMean) * (v - ngMean)).Average());
        var proto = new PromptModel
        {
            Prompt = prompt, Means = means, Stds = stds, Keywords = profile.Keywords, KeywordWeights = profile.Weights,
            SimilarityP05 = 0, SimilarityP25 = 0, MedianWords = 0, Vocab = vocab, Idf = idf, NgramWeights = [.. weights.Select(w => (float)Round(w))], NgramMean = fullMean,
            NgramScoreMean = ngMean, NgramScoreStd = ngStd, Heads = [], Order = new OrderTrainer(options).Train(prompt, [.. essays.Select(e => e.Doc)], profile, sharedOrderFull, sharedOrderHalves),
        };
        var inputs = new double[n][];
        for (var i = 0; i < n; i++)
        {
            inputs[i] = proto.Inputs(features[i], oofScores[i]);
        }

        if (options.InteractionInputs > 0)
        {
            // The inputs a linear holistic head leans on most get squares and pairwise products (ties: lower index).
            var (linear, _) = Ridge.Fit(inputs, y, options.HeadLambda);
            proto = proto with
            {
                Interactions = [.. Enumerable.Range(0, linear.Length).OrderByDescending(j => Math.Abs(linear[j])).Take(options.InteractionInputs).Order()],
            };
            for (var i = 0; i < n; i++)
            {
                inputs[i] = proto.Inputs(features[i], oofScores[i]);
            }
        }

        var heads = new List<LinearHead> { FitHead("holistic", scale.Min, scale.Max, inputs, essays.Select(e => (int?)e.Essay.Score).ToArray()) };
        for (var t = 0; t < scale.Traits.Count; t++)
        {
            var trait = scale.Traits[t];
            var k = t;
            heads.Add(FitHead(trait.Key, trait.Min, trait.Max, inputs, essays.Select(e => e.Essay.Traits is { } tr ? (int?)tr[k] : null).ToArray()));
        }

        var similarities = features.Select(f => f[FeatureExtractor.SimilarityIndex]).Order().ToArray();
        var words = features.Select(f => f[0]).Order().ToArray();
        return proto with
        {
            Heads = [.. heads],
            SimilarityP05 = Math.Round(similarities[(int)(0.05 * (n - 1))], 4),
            SimilarityP25 = Math.Round(similarities[(int)(0.25 * (n - 1))], 4),
            MedianWords = words[n / 2],
        };
    }

    /// <summary>
    /// A standard deviation of 0 makes a feature's input 0 for every essay (see <see cref="PromptModel.Inputs"/>): the
    /// paragraph features are ignored unless enough training essays have paragraphs to show what paragraphing does.
    /// </summary>
    private void IgnoreParagraphsUnlessLearnable(double[][] features, double[] stds, int[] paragraphIndices)
    {
        var paragraphed = 0;
        foreach (var f in features)
        {
            paragraphed += f[paragraphIndices[0]] > 1 ? 1 : 0;
        }

        if (paragraphed < options.ParagraphFeaturesMinShare * features.Length)
        {
            foreach (var i in paragraphIndices)
            {
                stds[i] = 0;
            }
        }
    }

    private LinearHead FitHead(string name, int min, int max, double[][] inputs, int?[] targets)
    {
        var x = new List<double[]>();
        var y = new List<double>();
        var truth = new List<int>();
        for (var i = 0; i < inputs.Length; i++)
        {
            if (targets[i] is { } v)
            {
                x.Add(inputs[i]);
                y.Add(v);
                truth.Add(v);
            }
        }

        if (x.Count < 20)
        {
            throw new InvalidOperationException($"too few essays with a '{name}' score to train ({x.Count})");
        }

        var (w, b) = Ridge.Fit(x, y, options.HeadLambda);
        var predictions = x.Select(r => Ridge.Predict(r, w, b)).ToArray();
        var cuts = ThresholdMapper.Fit(predictions, truth, min, max);
        return new LinearHead { Name = name, Min = min, Max = max, Weights = [.. w.Select(Round)], Bias = Round(b), Cuts = cuts };
    }

    private GenericModel TrainGeneric(IReadOnlyList<PreparedEssay> train)
    {
        int[] idx = [.. FeatureExtractor.PromptIndependentIndices];
        var x = train.Select(e => idx.Select(i => e.Features[i]).ToArray()).ToArray();
        var (means, stds) = Standardization(x);
        // Across prompts paragraphing cannot be told from the prompt: ASAP kept line breaks in prompts 2 and 8 only.
        foreach (var i in FeatureExtractor.ParagraphIndices)
        {
            stds[Array.IndexOf(idx, i)] = 0;
        }

        var z = x.Select(r => r.Select((v, j) => stds[j] == 0 ? 0 : Math.Clamp((v - means[j]) / stds[j], -6, 6)).ToArray()).ToList();
        var y = train.Select(e => PromptScale.Get(e.Essay.Prompt).Normalize(e.Essay.Score)).ToList();
        var (w, b) = Ridge.Fit(z, y, options.HeadLambda);
        return new GenericModel { Features = idx, Means = means, Stds = stds, Weights = [.. w.Select(Round)], Bias = Round(b) };
    }

    private string[] CommonWords(IReadOnlyList<PreparedEssay> train)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in train)
        {
            for (var i = 0; i < e.Doc.Tokens.Count; i++)
            {
                if (e.Doc.Tokens[i].Kind == TokenKind.Word)
                {
                    counts[e.Doc.Lower[i]] = counts.GetValueOrDefault(e.Doc.Lower[i]) + 1;
                }
            }
        }

        return counts.Where(kv => kv.Value >= 3 && analyzer.Speller.Dictionary.Contains(kv.Key))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(options.CommonWords).Select(kv => kv.Key).ToArray();
    }

    private static IEnumerable<string> ContentWords(EssayDocument doc)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            var w = doc.Lower[i];
            if (doc.Tokens[i].Kind == TokenKind.Word && w.Length >= 3 && !WordLists.FunctionWords.Contains(w) && seen.Add(w))
            {
                yield return w;
            }
        }
    }

    internal static (double[] Means, double[] Stds) Standardization(IReadOnlyList<double[]> x)
    {
        var d = x[0].Length;
        var means = new double[d];
        var stds = new double[d];
        foreach (var r in x)
        {
            for (var j = 0; j < d; j++)
            {
                means[j] += r[j] / x.Count;
            }
        }

        foreach (var r in x)
        {
            for (var j = 0; j < d; j++)
            {
                stds[j] += (r[j] - means[j]) * (r[j] - means[j]) / x.Count;
            }
        }

        for (var j = 0; j < d; j++)
        {
            stds[j] = Round(Math.Sqrt(stds[j]));
            means[j] = Round(means[j]);
        }

        return (means, stds);
    }

    /// <summary>Six significant digits: keeps the model file small and its text stable across runs.</summary>
    internal static double Round(double v) => v == 0 || !double.IsFinite(v) ? 0 : double.Parse(v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);

    private static float Round(float v) => (float)Round((double)v);
}
