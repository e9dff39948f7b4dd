using Sluice.Grading.Data;
using Sluice.Grading.Features;
using Sluice.Grading.Integrity;
using Sluice.Grading.Scoring;
using Sluice.Grading.Text;

namespace Sluice.Grading;

/// <summary>
/// Grades essays: linguistic checks, integrity checks, scoring with the trained model and explainable feedback.
/// Thread-safe; one instance serves every request.
/// </summary>
internal sealed class EssayGrader
{
    public const string ModelName = "essay-grader";

    /// <summary>Longest essay graded, in words (the serving adapter refuses longer inputs; the library truncates and flags).</summary>
    public const int MaxWords = 100_000;

    /// <summary>Longest <c>prompt_text</c> accepted, in characters: the server's default and the CLI's limit.</summary>
    public const int MaxPromptTextChars = 20_000;

    /// <summary>Most suggestions returned (ordered by position); counts in the statistics are complete.</summary>
    public const int MaxSuggestions = 300;

    private readonly EssayAnalyzer _analyzer;
    private readonly IntegrityChecker _integrity;

    public EssayGrader(GradingModel model, EssayAnalyzer analyzer)
    {
        Model = model;
        _analyzer = analyzer;
        _integrity = new IntegrityChecker(analyzer.Speller.Dictionary);
        analyzer.Speller.SetFrequencyRanking(model.CommonWords);
        analyzer.Speller.SetContextModel(model.Syntax);
    }

    public GradingModel Model { get; }

    public string Version => Model.Version;

    public Spelling.SpellDictionary Dictionary => _analyzer.Speller.Dictionary;

    /// <summary>Grades one essay, reporting each stage's completion through <paramref name="progress"/>.</summary>
    public GradeResult Grade(EssayRequest request, Action<string, double>? progress = null)
    {
        var flags = new List<GradeFlag>();
        var text = request.Text;
        if (CountWords(text) > MaxWords)
        {
            text = Truncate(text, MaxWords);
            flags.Add(new GradeFlag("too_long", $"The essay exceeds {MaxWords:N0} words; only the first {MaxWords:N0} were graded.", "info"));
        }

        var prompt = request.PromptId is { } id ? Model.ForPrompt(id) ?? throw new ArgumentOutOfRangeException(nameof(request), $"no model for prompt {id}") : null;

        var analysis = _analyzer.Spelling(text);
        progress?.Invoke(GradingStages.Spelling, 1);
        EssayAnalyzer.Grammar(analysis, Model.Syntax);
        progress?.Invoke(GradingStages.Grammar, 1);
        EssayAnalyzer.Structure(analysis, prompt?.Profile);
        var integrity = _integrity.Check(analysis.Doc, prompt, Model, request.PromptText);
        progress?.Invoke(GradingStages.Structure, 1);

        var (holistic, traits, drivers) = Score(analysis, integrity, prompt);
        progress?.Invoke(GradingStages.Scoring, 1);

        foreach (var f in integrity.Flags)
        {
            flags.Add(new GradeFlag(f.Code, f.Message, f.Effect.ToString().ToLowerInvariant()));
        }

        var suggestions = analysis.Suggestions.OrderBy(s => s.Start).ThenBy(s => s.Category, StringComparer.Ordinal).Take(MaxSuggestions).ToArray();
        var result = new GradeResult(ModelName, Version, request.PromptId, prompt is null ? "prompt_independent" : "prompt", holistic, traits, suggestions,
            Statistics(analysis), drivers, flags);
        progress?.Invoke(GradingStages.Feedback, 1);
        return result;
    }

    /// <summary>Holistic score then traits, through the full grading path (used by <c>grader eval</c>).</summary>
    public int[] ScoreForEvaluation(string text, int prompt)
    {
        var r = Grade(new EssayRequest(text, prompt));
        return [r.Score.Score ?? 0, .. r.Traits.Select(t => t.Score)];
    }

    private (HolisticScore, TraitScore[], ScoreDriver[]) Score(EssayAnalysis analysis, IntegrityReport integrity, PromptModel? prompt)
    {
        var view = ScoringView.Of(analysis.Doc);
        var features = FeatureExtractor.Compute(view, analysis.Errors, prompt?.Profile);
        if (prompt is null)
        {
            var p = Model.Generic.Predict(features);
            if (integrity.ForceMinimum)
            {
                p = 0;
            }
            else if (integrity.Capped)
            {
                p = Math.Min(p, 0.5);
            }
            else if (integrity.Cleaned || integrity.Penalised)
            {
                var clean = Reanalyse(integrity.ScoringText, null);
                p = Model.Generic.Predict(clean.Features);
                if (integrity.Penalised)
                {
                    p = Math.Max(0, p - 0.1);
                }
            }

            return (new HolisticScore(null, 0, 1, Math.Round(p, 3), Math.Round(p, 4)), [], GenericDrivers(features));
        }

        var scale = PromptScale.Get(prompt.Prompt);
        var ngrams = NgramExtractor.Count(view);
        var (raw, scores, inputs) = EssayScorer.Score(prompt, features, ngrams);
        if (integrity.Cleaned)
        {
            var clean = Reanalyse(integrity.ScoringText, prompt);
            features = clean.Features;
            // The score is that of the student's own text: repeats, stuffing and copied prompt text are set aside,
            // so adding them to an essay cannot change what it is scored on.
            (raw, scores, inputs) = EssayScorer.Score(prompt, clean.Features, clean.Ngrams);
        }

        for (var h = 0; h < scores.Length; h++)
        {
            var head = prompt.Heads[h];
            if (integrity.ForceMinimum)
            {
                scores[h] = head.Min;
            }
            else if (integrity.Penalised)
            {
                scores[h] = Math.Max(head.Min, scores[h] - 1);
            }

            if (integrity.Capped)
            {
                scores[h] = Math.Min(scores[h], (head.Min + head.Max) / 2);
            }
        }

        var traits = new TraitScore[prompt.Heads.Length - 1];
        for (var t = 0; t < traits.Length; t++)
        {
            var ts = scale.Traits[t];
            traits[t] = new TraitScore(ts.Key, ts.Label, scores[t + 1], ts.Min, ts.Max);
        }

        var holistic = new HolisticScore(scores[0], scale.Min, scale.Max, Math.Round(scale.Normalize(scores[0]), 3), Math.Round(raw[0], 3));
        return (holistic, traits, Drivers(prompt, features, inputs));
    }

    private (double[] Features, Dictionary<string, int> Ngrams) Reanalyse(string text, PromptModel? prompt)
    {
        var a = _analyzer.Spelling(text);
        EssayAnalyzer.Grammar(a, Model.Syntax);
        var view = ScoringView.Of(a.Doc);
        return (FeatureExtractor.Compute(view, a.Errors, prompt?.Profile), NgramExtractor.Count(view));
    }

    /// <summary>The inputs with the largest effect (weight × standardized value) on the holistic head.</summary>
    private static ScoreDriver[] Drivers(PromptModel prompt, double[] features, double[] inputs)
    {
        var effects = prompt.BaseEffects(inputs, prompt.Heads[0].Weights);
        var list = new List<ScoreDriver>();
        for (var j = 0; j < effects.Length; j++)
        {
            var effect = effects[j];
            var isNgram = j >= prompt.Means.Length;
            var value = isNgram ? prompt.NgramScoreMean + (inputs[j] * prompt.NgramScoreStd) : features[j];
            var typical = isNgram ? prompt.NgramScoreMean : prompt.Means[j];
            list.Add(new ScoreDriver(EssayScorer.InputName(j), Math.Round(value, 3), Math.Round(typical, 3), Math.Round(effect, 3)));
        }

        return [.. list.OrderByDescending(d => Math.Abs(d.Effect)).ThenBy(d => d.Feature, StringComparer.Ordinal).Take(8)];
    }

    private ScoreDriver[] GenericDrivers(double[] features)
    {
        var g = Model.Generic;
        var list = new List<ScoreDriver>();
        for (var j = 0; j < g.Features.Length; j++)
        {
            var v = features[g.Features[j]];
            var z = g.Stds[j] == 0 ? 0 : Math.Clamp((v - g.Means[j]) / g.Stds[j], -6, 6);
            list.Add(new ScoreDriver(FeatureExtractor.Names[g.Features[j]], Math.Round(v, 3), Math.Round(g.Means[j], 3), Math.Round(g.Weights[j] * z, 4)));
        }

        return [.. list.OrderByDescending(d => Math.Abs(d.Effect)).ThenBy(d => d.Feature, StringComparer.Ordinal).Take(8)];
    }

    private static EssayStatistics Statistics(EssayAnalysis a)
    {
        var f = FeatureExtractor.Compute(a.Doc, a.Errors, null);
        double Get(string name) => f[Array.IndexOf(FeatureExtractor.Names, name)];
        return new EssayStatistics(
            a.Doc.Text.Length, (int)Get("words"), (int)Get("unique_words"), a.Doc.Sentences.Count, a.Doc.ParagraphCount,
            Math.Round(Get("mean_sentence_length"), 2), Math.Round(Get("chars_per_word"), 2), Math.Round(Get("fk_grade"), 2),
            Math.Round(Get("flesch_ease"), 2), Math.Round(Get("type_token_ratio"), 3), Math.Round(MattrOf(a.Doc), 3),
            a.Misspellings, a.Errors.Grammar + a.Errors.Punctuation + a.Errors.Capitalization, (int)Get("transitions"));
    }

    private static double MattrOf(EssayDocument doc)
    {
        var words = new List<string>(doc.Tokens.Count);
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            if (doc.Tokens[i].Kind != TokenKind.Punctuation)
            {
                words.Add(doc.Lower[i]);
            }
        }

        return FeatureExtractor.Mattr(words, 50);
    }

    /// <summary>Whitespace-separated word count (cheap pre-check before tokenizing).</summary>
    public static int CountWords(string text)
    {
        var n = 0;
        var inWord = false;
        foreach (var c in text)
        {
            var ws = char.IsWhiteSpace(c);
            if (!ws && !inWord)
            {
                n++;
            }

            inWord = !ws;
        }

        return n;
    }

    private static string Truncate(string text, int words)
    {
        var n = 0;
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var ws = char.IsWhiteSpace(text[i]);
            if (!ws && !inWord && ++n > words)
            {
                return text[..i];
            }

            inWord = !ws;
        }

        return text;
    }
}
