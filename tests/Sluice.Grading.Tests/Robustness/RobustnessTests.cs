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

    /// <summary>
    /// Paragraph breaks are formatting, and ASAP kept them in prompts 2 and 8 only (prompt 1: one essay in 1,783), so a
    /// one-paragraph held-out essay split into paragraphs of four sentences keeps every score where the model never
    /// saw paragraphs (it once lost about a point in prompts 1 and 7), and loses none where it did.
    /// </summary>
    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void AddParagraphBreaks_OneParagraphEssays_ScoresKeptOrRaised()
    {
        var essays = HeldOutEssays.Sample(PerPrompt).Where(e => Grading.Text.Tokenizer.Analyze(e.Text).ParagraphCount == 1).ToList();
        Assert.True(essays.Count >= 80, $"only {essays.Count} one-paragraph essays");
        var paragraphs = Array.IndexOf(Grading.Features.FeatureExtractor.Names, "paragraphs");
        var changed = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(essays, e =>
        {
            var doc = Grading.Text.Tokenizer.Analyze(e.Text);
            var sentences = Enumerable.Range(0, doc.Sentences.Count).Select(doc.SentenceText).ToArray();
            var text = string.Join("\n\n", sentences.Chunk(4).Select(c => string.Join(' ', c)));
            var before = Grader.Grade(new EssayRequest(e.Text, e.Prompt));
            var after = Grader.Grade(new EssayRequest(text, e.Prompt));
            Assert.True(Grading.Text.Tokenizer.Analyze(text).ParagraphCount > 1);
            var readsParagraphs = Grader.Model.ForPrompt(e.Prompt)!.Stds[paragraphs] != 0;
            var scores = new[] { (Name: "holistic", Before: before.Score.Score!.Value, After: after.Score.Score!.Value) }
                .Concat(before.Traits.Zip(after.Traits, (b, a) => (Name: b.Key, Before: b.Score, After: a.Score)));
            foreach (var (name, b, a) in scores)
            {
                if (readsParagraphs ? a < b : a != b)
                {
                    changed.Add($"essay {e.Id} (prompt {e.Prompt}) {name}: {b} -> {a}");
                }
            }
        });
        Assert.True(changed.IsEmpty, "paragraph breaks moved scores: " + string.Join("; ", changed));
    }

    /// <summary>
    /// A student writes real names and numbers where ASAP has placeholders: the held-out essays with theirs filled in
    /// ("@PERSON1" → "Maria", "@NUM2" → "3", "@CAPS1" → "Lopez") keep their scores. Before the scoring model read essays
    /// anonymised as ASAP's are, prompt 8 lost 2 points on average (up to 4) and prompt 7 0.8 (up to 4).
    /// </summary>
    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void FillPlaceholders_RealNamesAndNumbers_ScoresKept()
    {
        var essays = HeldOutEssays.Sample(PerPrompt).Where(e => e.Text.Contains('@')).ToList();
        Assert.True(essays.Count >= 80, $"only {essays.Count} essays with placeholders");
        var changes = new int[essays.Count];
        var moved = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, essays.Count, i =>
        {
            var e = essays[i];
            var before = Score(e.Text, e.Prompt);
            var after = Score(Attacks.FillPlaceholders(e.Text), e.Prompt);
            changes[i] = after - before;
            if (Math.Abs(after - before) > 2)
            {
                moved.Add($"essay {e.Id} (prompt {e.Prompt}): {before} -> {after}");
            }
        });
        var mean = changes.Average(c => (double)c);
        output.WriteLine($"placeholders filled in: {essays.Count} essays, mean change {mean:F2}, changed {changes.Count(c => c != 0)}");
        Assert.True(moved.IsEmpty, "filling in names moved scores by more than 2 points: " + string.Join("; ", moved));
        Assert.InRange(mean, -0.25, 0.25);
    }

    /// <summary>Only the prompts whose training essays kept their paragraphs (2 and 8) read the paragraph features.</summary>
    [Fact]
    public void CommittedModel_ParagraphFeatures_ReadOnlyByPromptsTwoAndEight()
    {
        var paragraphs = Array.IndexOf(Grading.Features.FeatureExtractor.Names, "paragraphs");
        var reading = Enumerable.Range(1, 8).Where(p => Grader.Model.ForPrompt(p)!.Stds[paragraphs] != 0).ToArray();
        Assert.Equal([2, 8], reading);
        Assert.All(Grading.Features.FeatureExtractor.ParagraphIndices, i => Assert.Equal(0, Grader.Model.Generic.Stds[Array.IndexOf(Grader.Model.Generic.Features, i)]));
    }

    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void RepeatParagraphs_NeverRaisesScore_Flagged() =>
        Check("repeat paragraphs", (e, _) => (Attacks.RepeatParagraphs(e.Text), null), ["repetition"], 1.0);

    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void RepeatSecondHalf_NeverRaisesScore_Flagged() =>
        Check("repeat second half", (e, _) => (Attacks.RepeatSecondHalf(e.Text), null), ["repetition"], 1.0);

    /// <summary>
    /// Each essay shuffled five times (520 shuffles): one draw per essay is a noisy measure of the detector (over 20 seeds
    /// the same 104 essays were flagged between 84 and 98 times). No shuffle may raise the score.
    /// </summary>
    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void ShuffleSentences_NeverRaisesScore_MostlyFlagged()
    {
        const int Seeds = 5;
        var essays = HeldOutEssays.Sample(PerPrompt);
        Assert.True(essays.Count >= 100, $"only {essays.Count} essays");
        Assert.Equal(8, essays.Select(e => e.Prompt).Distinct().Count());
        var flagged = new bool[essays.Count, Seeds];
        var raised = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, essays.Count * Seeds, k =>
        {
            var (i, seed) = (k / Seeds, k % Seeds);
            var e = essays[i];
            var before = Score(e.Text, e.Prompt);
            var r = Grader.Grade(new EssayRequest(Attacks.ShuffleSentences(e.Text, ((seed + 1) * 1000) + i), e.Prompt));
            flagged[i, seed] = r.Flags.Any(f => f.Code == "incoherent_order");
            if (r.Score.Score!.Value > before)
            {
                raised.Add($"essay {e.Id} (prompt {e.Prompt}, seed {seed}): {before} -> {r.Score.Score.Value}");
            }
        });
        var total = 0;
        var perSeed = new int[Seeds];
        for (var i = 0; i < essays.Count; i++)
        {
            for (var seed = 0; seed < Seeds; seed++)
            {
                total += flagged[i, seed] ? 1 : 0;
                perSeed[seed] += flagged[i, seed] ? 1 : 0;
            }
        }

        var rate = (double)total / (essays.Count * Seeds);
        output.WriteLine($"shuffled sentences: flagged {total}/{essays.Count * Seeds} ({rate:P1}); per seed {string.Join(", ", perSeed)} of {essays.Count}; score raised for {raised.Count}; flagged per prompt: " +
            string.Join(", ", Enumerable.Range(0, essays.Count).GroupBy(i => essays[i].Prompt).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Sum(i => Enumerable.Range(0, Seeds).Count(s => flagged[i, s]))}/{g.Count() * Seeds}")));
        Assert.True(raised.IsEmpty, "shuffled sentences raised the score: " + string.Join("; ", raised));
        Assert.True(rate >= 0.82, $"shuffled sentences: flagged only {total}/{essays.Count * Seeds} ({rate:P1}), expected at least 82 %");
    }

    /// <summary>
    /// The order detector on one seeded shuffle of every fold-0 test essay with 6+ sentences (1,890), a far larger sample
    /// than the 104 robustness essays: the figure docs/grading.md reports.
    /// </summary>
    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void IncoherentOrder_AllHeldOutShuffles_MostlyFlagged()
    {
        var essays = HeldOutEssays.All;
        var caught = new bool?[essays.Count];
        var firstKept = new bool[essays.Count];
        Parallel.For(0, essays.Count, i =>
        {
            var doc = Grading.Text.Tokenizer.Analyze(essays[i].Text);
            if (doc.Sentences.Count >= 6)
            {
                var shuffled = Attacks.ShuffleSentences(essays[i].Text, 1000 + i);
                firstKept[i] = shuffled.StartsWith(doc.SentenceText(0), StringComparison.Ordinal);
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

        // The evidence is strongest at the opening: a shuffle moves the written first sentence with probability
        // (n - 1) / n, and the rest of the order carries far less (docs/grading.md, "Shuffled-order detector").
        var moved = Enumerable.Range(0, essays.Count).Where(i => caught[i] is not null && !firstKept[i]).ToList();
        var movedFlagged = moved.Count(i => caught[i] == true);
        var movedRate = (double)movedFlagged / moved.Count;
        output.WriteLine($"opening sentence moved: {movedFlagged}/{moved.Count} ({movedRate:P1}); kept first: {flagged - movedFlagged}/{shuffles - moved.Count}");
        Assert.True(shuffles > 1800, $"only {shuffles} held-out essays with 6+ sentences");
        Assert.True(rate >= 0.82, $"incoherent_order caught {flagged}/{shuffles} shuffles ({rate:P1}), expected at least 82 %");
        Assert.True(movedRate >= 0.90, $"incoherent_order caught {movedFlagged}/{moved.Count} shuffles that moved the opening sentence ({movedRate:P1}), expected at least 90 %");
    }

    /// <summary>
    /// A title typed above a real letter ("Computers and Kids" over "Dear Local Newspaper, I think …", the salutation
    /// running on into the body as in ASAP) is no evidence of shuffled sentences: the same letters are flagged as often.
    /// </summary>
    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void IncoherentOrder_TitleAboveRealLetters_FlaggedNoMoreThanWithout()
    {
        var letters = HeldOutEssays.All.Where(e => e.Prompt == 1 && e.Text.StartsWith("Dear ", StringComparison.Ordinal)).OrderBy(e => e.Id).Take(40).ToList();
        bool Flagged(string text) => Grader.Grade(new EssayRequest(text, 1)).Flags.Any(f => f.Code == "incoherent_order");
        var without = letters.Count(e => Flagged(e.Text));
        var with = letters.Count(e => Flagged("Computers and Kids\n" + e.Text));

        output.WriteLine($"incoherent_order on {letters.Count} held-out letters: {without} without a title, {with} with one");
        Assert.True(letters.Count >= 30, $"only {letters.Count} letters");
        Assert.Equal(without, with);
    }

    /// <summary>The order detector must stay quiet on real essays it never saw: at most 3 % of the 2,598 fold-0 test essays.</summary>
    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void IncoherentOrder_RealHeldOutEssays_FalseAlarmsAtMost3Percent()
    {
        var essays = HeldOutEssays.All;
        var messages = new string?[essays.Count];
        Parallel.For(0, essays.Count, i => messages[i] = Grader.Grade(new EssayRequest(essays[i].Text, essays[i].Prompt)).Flags.FirstOrDefault(f => f.Code == "incoherent_order")?.Message);
        var flagged = messages.Select(m => m is not null).ToArray();
        var count = flagged.Count(f => f);
        // A teacher reading the flag is always told why, even when no single cue stands out.
        Assert.All(messages.Where(m => m is not null), m => Assert.Matches(@"\(likelihood [0-9.]+\): \w", m!));
        var rate = (double)count / essays.Count;
        foreach (var g in Enumerable.Range(0, essays.Count).GroupBy(i => essays[i].Prompt).OrderBy(g => g.Key))
        {
            output.WriteLine($"prompt {g.Key}: {g.Count(i => flagged[i])}/{g.Count()}");
        }

        output.WriteLine($"incoherent_order on real held-out essays: {count}/{essays.Count} ({rate:P1})");
        Assert.True(essays.Count > 2500, $"only {essays.Count} held-out essays");
        Assert.True(rate <= 0.03, $"incoherent_order fired on {count}/{essays.Count} real essays ({rate:P1}), expected at most 3 %");
    }

    /// <summary>
    /// An off-topic flag sets the score to the minimum, so on real essays it must be all but absent: at most 2 of the
    /// 2,598 fold-0 test essays. Prints every flag code's count on them (the false-alarm table of docs/grading.md).
    /// </summary>
    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void OffTopic_RealHeldOutEssays_AlmostNeverFlagged()
    {
        var essays = HeldOutEssays.All;
        var codes = new string[essays.Count][];
        Parallel.For(0, essays.Count, i => codes[i] = [.. Grader.Grade(new EssayRequest(essays[i].Text, essays[i].Prompt)).Flags.Select(f => f.Code)]);
        output.WriteLine("flags on real held-out essays: " + string.Join(", ", codes.SelectMany(c => c).GroupBy(c => c).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}")));
        var offTopic = Enumerable.Range(0, essays.Count).Where(i => codes[i].Contains("off_topic")).Select(i => $"essay {essays[i].Id} (prompt {essays[i].Prompt})").ToList();
        Assert.True(essays.Count > 2500, $"only {essays.Count} held-out essays");
        Assert.True(offTopic.Count <= 2, $"off_topic fired on {offTopic.Count} real essays: " + string.Join("; ", offTopic));
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
        }, ["off_topic"], 1.0, expectMinimum: true);
    }

    /// <summary>
    /// Every fold-0 test essay of 60+ words submitted for each of the seven other prompts (about 16,000 submissions):
    /// a far larger sample than the 104 robustness essays, the figure docs/grading.md reports.
    /// </summary>
    [SharedDataFact("data/asap/essays/prompt1.tsv", "data/asap/folds/fold_0/test_ids.txt")]
    public void OffTopic_AllHeldOutEssaysUnderOtherPrompts_MostlyFlagged()
    {
        var pool = HeldOutEssays.All.Where(e => Grading.Text.Tokenizer.Analyze(e.Text).WordCount >= 60).ToList();
        var caught = new int[9, 9];
        var total = new int[9, 9];
        Parallel.For(0, pool.Count, i =>
        {
            for (var claimed = 1; claimed <= 8; claimed++)
            {
                if (claimed != pool[i].Prompt)
                {
                    var flagged = Grader.Grade(new EssayRequest(pool[i].Text, claimed)).Flags.Any(f => f.Code == "off_topic");
                    Interlocked.Increment(ref total[claimed, pool[i].Prompt]);
                    if (flagged)
                    {
                        Interlocked.Increment(ref caught[claimed, pool[i].Prompt]);
                    }
                }
            }
        });
        var all = 0;
        var flaggedAll = 0;
        for (var claimed = 1; claimed <= 8; claimed++)
        {
            var row = Enumerable.Range(1, 8).Where(w => w != claimed).Select(w => $"{w}: {caught[claimed, w]}/{total[claimed, w]}");
            output.WriteLine($"graded as prompt {claimed}, written for " + string.Join(", ", row));
            for (var w = 1; w <= 8; w++)
            {
                all += total[claimed, w];
                flaggedAll += caught[claimed, w];
            }
        }

        var rate = (double)flaggedAll / all;
        output.WriteLine($"off_topic on held-out essays graded for another prompt: {flaggedAll}/{all} ({rate:P1})");
        Assert.True(all > 15000, $"only {all} submissions");
        Assert.True(rate >= 0.97, $"off_topic caught {flaggedAll}/{all} ({rate:P1}), expected at least 97 %");
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
