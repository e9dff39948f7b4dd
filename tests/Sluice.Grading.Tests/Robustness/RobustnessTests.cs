using Sluice.Grading.Data;
using Sluice.Testing;
using Xunit.Abstractions;

namespace Sluice.Grading.Tests.Robustness;

/// <summary>
/// Gaming attacks on 104 held-out real essays (13 per prompt): none may raise the score, and each must be flagged.
/// Each test prints its detection rate so regressions are visible.
/// </summary>
public sealed class RobustnessTests(ITestOutputHelper output)
{
    private const int PerPrompt = 13;

    private static EssayGrader Grader => TestGrader.Instance;

    private static int Score(string text, int prompt, string? promptText = null) =>
        Grader.Grade(new EssayRequest(text, prompt, promptText)).Score.Score!.Value;

    private void Check(string attack, Func<AsapEssay, int, (string Text, string? PromptText)> transform, string[] flagCodes, double minFlagRate, bool expectMinimum = false, bool promptTextForOriginal = false)
    {
        var essays = HeldOutEssays.Sample(PerPrompt);
        Assert.True(essays.Count >= 100, $"only {essays.Count} essays");
        Assert.Equal(8, essays.Select(e => e.Prompt).Distinct().Count());
        var raised = new List<string>();
        var flagged = 0;
        var results = new (int Before, int After, bool Flagged)[essays.Count];
        Parallel.For(0, essays.Count, i =>
        {
            var e = essays[i];
            // With promptTextForOriginal the original is graded knowing the prompt too, so only the attack differs.
            var before = Score(e.Text, e.Prompt, promptTextForOriginal ? Attacks.PromptTexts[e.Prompt] : null);
            var (text, promptText) = transform(e, i);
            var r = Grader.Grade(new EssayRequest(text, e.Prompt, promptText));
            results[i] = (before, r.Score.Score!.Value, r.Flags.Any(f => flagCodes.Contains(f.Code)));
        });
        for (var i = 0; i < essays.Count; i++)
        {
            var (before, after, isFlagged) = results[i];
            if (after > before || (expectMinimum && isFlagged && after != PromptScale.Get(essays[i].Prompt).Min))
            {
                raised.Add($"essay {essays[i].Id} (prompt {essays[i].Prompt}): {before} -> {after}");
            }

            if (isFlagged)
            {
                flagged++;
            }
        }

        var rate = (double)flagged / essays.Count;
        output.WriteLine($"{attack}: flagged {flagged}/{essays.Count} ({rate:P0}); score raised for {raised.Count}; flagged per prompt: " +
            string.Join(", ", Enumerable.Range(0, essays.Count).GroupBy(i => essays[i].Prompt).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count(i => results[i].Flagged)}/{g.Count()}")));
        Assert.True(raised.Count == 0, $"{attack} raised the score: " + string.Join("; ", raised));
        Assert.True(rate >= minFlagRate, $"{attack}: flagged only {flagged}/{essays.Count} ({rate:P0}), expected at least {minFlagRate:P0}");
    }

    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void RepeatParagraphs_NeverRaisesScore_Flagged() =>
        Check("repeat paragraphs", (e, _) => (Attacks.RepeatParagraphs(e.Text), null), ["repetition"], 1.0);

    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void RepeatSecondHalf_NeverRaisesScore_Flagged() =>
        Check("repeat second half", (e, _) => (Attacks.RepeatSecondHalf(e.Text), null), ["repetition"], 1.0);

    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void ShuffleSentences_NeverRaisesScore_MostlyFlagged() =>
        Check("shuffled sentences", (e, i) => (Attacks.ShuffleSentences(e.Text, 1000 + i), null), ["incoherent_order"], 0.82);

    /// <summary>
    /// The order detector on one seeded shuffle of every fold-0 test essay with 6+ sentences (1,890), a far larger sample
    /// than the 104 robustness essays: the figure docs/grading.md reports.
    /// </summary>
    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void IncoherentOrder_AllHeldOutShuffles_MostlyFlagged()
    {
        var essays = HeldOutEssays.All;
        var caught = new bool?[essays.Count];
        Parallel.For(0, essays.Count, i =>
        {
            if (Grading.Text.Tokenizer.Analyze(essays[i].Text).Sentences.Count >= 6)
            {
                var shuffled = Attacks.ShuffleSentences(essays[i].Text, 1000 + i);
                caught[i] = Grader.Grade(new EssayRequest(shuffled, essays[i].Prompt)).Flags.Any(f => f.Code == "incoherent_order");
            }
        });
        var shuffles = caught.Count(c => c is not null);
        var flagged = caught.Count(c => c == true);
        foreach (var g in Enumerable.Range(0, essays.Count).Where(i => caught[i] is not null).GroupBy(i => essays[i].Prompt).OrderBy(g => g.Key))
        {
            output.WriteLine($"prompt {g.Key}: {g.Count(i => caught[i] == true)}/{g.Count()}");
        }

        var rate = (double)flagged / shuffles;
        output.WriteLine($"incoherent_order on shuffled held-out essays: {flagged}/{shuffles} ({rate:P1})");
        Assert.True(shuffles > 1800, $"only {shuffles} held-out essays with 6+ sentences");
        Assert.True(rate >= 0.82, $"incoherent_order caught {flagged}/{shuffles} shuffles ({rate:P1}), expected at least 82 %");
    }

    /// <summary>The order detector must stay quiet on real essays it never saw: at most 3 % of the 2,598 fold-0 test essays.</summary>
    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void IncoherentOrder_RealHeldOutEssays_FalseAlarmsAtMost3Percent()
    {
        var essays = HeldOutEssays.All;
        var flagged = new bool[essays.Count];
        Parallel.For(0, essays.Count, i => flagged[i] = Grader.Grade(new EssayRequest(essays[i].Text, essays[i].Prompt)).Flags.Any(f => f.Code == "incoherent_order"));
        var count = flagged.Count(f => f);
        var rate = (double)count / essays.Count;
        foreach (var g in Enumerable.Range(0, essays.Count).GroupBy(i => essays[i].Prompt).OrderBy(g => g.Key))
        {
            output.WriteLine($"prompt {g.Key}: {g.Count(i => flagged[i])}/{g.Count()}");
        }

        output.WriteLine($"incoherent_order on real held-out essays: {count}/{essays.Count} ({rate:P1})");
        Assert.True(essays.Count > 2500, $"only {essays.Count} held-out essays");
        Assert.True(rate <= 0.03, $"incoherent_order fired on {count}/{essays.Count} real essays ({rate:P1}), expected at most 3 %");
    }

    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void TransitionStuffing_NeverRaisesScore_Flagged() =>
        Check("transition stuffing", (e, _) => (Attacks.StuffTransitions(e.Text), null), ["transition_stuffing"], 1.0);

    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void KeywordStuffing_NeverRaisesScore_Flagged() =>
        Check("keyword stuffing", (e, _) => (Attacks.StuffKeywords(e.Text, Grader.Model.ForPrompt(e.Prompt)!.Keywords), null), ["keyword_stuffing"], 1.0);

    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void WordSalad_NeverRaisesScore_FlaggedAtMinimum() =>
        Check("word salad", (e, i) => (Attacks.WordSalad(e.Text, 7 + i), null), ["gibberish"], 1.0, expectMinimum: true);

    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void FancyWordGibberish_NeverRaisesScore_FlaggedAtMinimum() =>
        Check("fancy-word gibberish", (e, i) => (Attacks.FancyWords(Grader.Model.CommonWords, Math.Max(60, Grading.Text.Tokenizer.Analyze(e.Text).WordCount), i), null), ["gibberish"], 1.0, expectMinimum: true);

    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void AnswerToAnotherPrompt_NeverRaisesScore_FlaggedAtMinimum()
    {
        var pool = HeldOutEssays.All.Where(e => Grading.Text.Tokenizer.Analyze(e.Text).WordCount >= 60).ToList();
        Check("answer to another prompt", (e, i) =>
        {
            var otherPrompt = (e.Prompt % 8) + 1;
            var candidates = pool.Where(o => o.Prompt == otherPrompt).ToList();
            return (candidates[i % candidates.Count].Text, null);
        }, ["off_topic"], 0.9, expectMinimum: true);
    }

    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void CopiedPromptPrepended_NeverRaisesScore_Flagged() =>
        Check("prompt copied into essay", (e, _) => (Attacks.PromptTexts[e.Prompt] + "\n\n" + e.Text, Attacks.PromptTexts[e.Prompt]), ["prompt_copy"], 1.0, promptTextForOriginal: true);

    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void PromptTextOnly_ScoresMinimum_Flagged() =>
        Check("prompt text only", (e, _) => (Attacks.PromptTexts[e.Prompt] + " " + Attacks.PromptTexts[e.Prompt], Attacks.PromptTexts[e.Prompt]), ["prompt_copy"], 1.0, expectMinimum: true);

    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void Paraphrase_MovesScoreAtMostOnePoint()
    {
        var essays = HeldOutEssays.Sample(PerPrompt);
        var moved = new List<string>();
        var changed = 0;
        foreach (var e in essays)
        {
            var paraphrase = Attacks.Paraphrase(e.Text);
            var before = Score(e.Text, e.Prompt);
            var after = Score(paraphrase, e.Prompt);
            changed += before == after ? 0 : 1;
            if (Math.Abs(after - before) > 1)
            {
                moved.Add($"essay {e.Id} (prompt {e.Prompt}): {before} -> {after}");
            }
        }

        output.WriteLine($"paraphrase: score changed for {changed}/{essays.Count}, by more than one point for {moved.Count}");
        Assert.True(moved.Count == 0, string.Join("; ", moved));
    }
}
