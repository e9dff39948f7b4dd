using Sluice.Grading.Data;
using Sluice.Grading.Serving;

namespace Sluice.Grading.Tests;

public sealed class EssayGraderTests
{
    [Fact]
    public void Grade_PromptEssay_ScoresOnPromptScaleWithTraits()
    {
        var r = TestGrader.Instance.Grade(new EssayRequest(TestGrader.SampleEssay, 1));

        Assert.Equal("prompt", r.Mode);
        Assert.InRange(r.Score.Score!.Value, 2, 12);
        Assert.Equal((2, 12), (r.Score.Min, r.Score.Max));
        Assert.Equal(PromptScale.Get(1).Traits.Select(t => t.Key), r.Traits.Select(t => t.Key));
        Assert.All(r.Traits, t => Assert.InRange(t.Score, t.Min, t.Max));
        Assert.NotEmpty(r.Drivers);
    }

    [Fact]
    public void Grade_SampleEssay_SuggestsConcreteFixesWithValidSpans()
    {
        var text = TestGrader.SampleEssay;
        var r = TestGrader.Instance.Grade(new EssayRequest(text, 1));

        Assert.Contains(r.Suggestions, s => s.Category == "spelling" && text.Substring(s.Start, s.Length) == "posative" && s.Replacement == "positive");
        Assert.Contains(r.Suggestions, s => s.Rule == "a_an" && s.Replacement == "an");
        Assert.Contains(r.Suggestions, s => s.Rule == "pronoun_i");
        Assert.Contains(r.Suggestions, s => s.Category == "spelling" && text.Substring(s.Start, s.Length) == "dont" && s.Replacement == "don't");
        Assert.All(r.Suggestions, s => Assert.True(s.Start >= 0 && s.Length > 0 && s.Start + s.Length <= text.Length));
    }

    [Theory]
    [InlineData("\n")]
    [InlineData(" ")]
    public void Grade_LetterWithTitleAboveSalutation_NotFlaggedOutOfOrder(string afterSalutation)
    {
        var letter =
            "Dear Local Newspaper," + afterSalutation + "I think computers are good for people because they help us learn about the world. " +
            "First, computers let us talk with friends and family far away. For example, my uncle lives in Texas and I talk to him every week on the computer. " +
            "Second, computers help students with homework. They can look up facts for a report in minutes. Third, computers teach hand-eye coordination through games. " +
            "Some people say computers keep kids inside, but kids can still go outside after they finish. " +
            "In conclusion, computers have a positive effect on people and you should support them.\nSincerely,\nJohn Smith";

        Assert.DoesNotContain(TestGrader.Instance.Grade(new EssayRequest(letter, 1)).Flags, f => f.Code == "incoherent_order");
        Assert.DoesNotContain(TestGrader.Instance.Grade(new EssayRequest("Computers Are Good\n" + letter, 1)).Flags, f => f.Code == "incoherent_order");
    }

    [Theory]
    [InlineData("Sincerly,\nMaria Lopez")]
    [InlineData("Sincerly, Maria Lopez")]
    [InlineData("Sinserely yours,\nMaria Lopez")]
    [InlineData("Sincerly @PERSON1")]
    public void Grade_LetterWithMisspeltSignOff_OnlyTheMisspellingReportedOnTheSignOff(string ending)
    {
        var body = "Dear Local Newspaper,\nI think computers are good for people because they help us learn about the world. " +
            "For example, my uncle lives in Texas and I talk to him every week on the computer.\n";
        var text = body + ending;

        var onSignOff = TestGrader.Instance.Grade(new EssayRequest(text, 1)).Suggestions.Where(s => s.Start + s.Length > body.Length).ToList();

        var hit = Assert.Single(onSignOff);
        Assert.Equal("misspelling", hit.Rule);
        Assert.StartsWith("Sin", text.Substring(hit.Start, hit.Length), StringComparison.Ordinal);
        Assert.Equal("Sincerely", hit.Replacement);
    }

    [Fact]
    public void Grade_SampleEssay_ReportsStatistics()
    {
        var r = TestGrader.Instance.Grade(new EssayRequest(TestGrader.SampleEssay, 1));

        Assert.InRange(r.Statistics.Words, 80, 100);
        Assert.Equal(2, r.Statistics.Paragraphs);
        Assert.Equal(9, r.Statistics.Sentences);
        Assert.True(r.Statistics.Misspellings >= 4);
        Assert.InRange(r.Statistics.FleschKincaidGrade, 2, 12);
        Assert.InRange(r.Statistics.TypeTokenRatio, 0.3, 1);
    }

    [Fact]
    public void Grade_ReportsStagesInOrder()
    {
        var stages = new List<string>();

        TestGrader.Instance.Grade(new EssayRequest(TestGrader.SampleEssay, 2), (stage, _) => stages.Add(stage));

        Assert.Equal(GradingStages.All, stages);
    }

    [Fact]
    public void Grade_NoPrompt_ReturnsNormalizedScore()
    {
        var r = TestGrader.Instance.Grade(new EssayRequest(TestGrader.SampleEssay));

        Assert.Equal("prompt_independent", r.Mode);
        Assert.Null(r.Score.Score);
        Assert.InRange(r.Score.Normalized, 0, 1);
        Assert.Empty(r.Traits);
    }

    [Fact]
    public void Grade_SameInput_SameJson()
    {
        var a = GradeResultJson.ToJson(TestGrader.Instance.Grade(new EssayRequest(TestGrader.SampleEssay, 1)));
        var b = GradeResultJson.ToJson(TestGrader.Instance.Grade(new EssayRequest(TestGrader.SampleEssay, 1)));

        Assert.Equal(a, b);
    }

    [Fact]
    public void Grade_BinaryGarbage_FlaggedWithMinimumScore()
    {
        var rng = new Random(3);
        var garbage = new string(Enumerable.Range(0, 3000).Select(_ => (char)rng.Next(0, 0x2FF)).ToArray());

        var r = TestGrader.Instance.Grade(new EssayRequest(garbage, 3));

        Assert.Contains(r.Flags, f => f.Code == "binary_or_garbage" && f.Effect == "minimum");
        Assert.Equal(0, r.Score.Score);
    }

    [Fact]
    public void Grade_EssayPastedWithPageBreaks_GradedLikeTheSameEssayWithout()
    {
        // An essay pasted from a PDF: form feeds (page breaks), vertical tabs and next-line characters between its
        // paragraphs, 2 % of its characters, all of them whitespace controls (binary input is refused above 1 %).
        var text = TestGrader.SampleEssay;
        var breaks = new string('\f', text.Length / 100) + new string('\v', text.Length / 200) + new string('\u0085', text.Length / 200);
        var pasted = text.Replace("\n\n", "\n" + breaks + "\n", StringComparison.Ordinal);
        Assert.True(pasted.Length - text.Length > pasted.Length * 0.01);

        var clean = TestGrader.Instance.Grade(new EssayRequest(text, 1));
        var r = TestGrader.Instance.Grade(new EssayRequest(pasted, 1));

        Assert.DoesNotContain(r.Flags, f => f.Code == "binary_or_garbage");
        Assert.Equal(clean.Score.Score, r.Score.Score);
    }

    [Fact]
    public void Grade_NonEnglish_FlaggedWithMinimumScore()
    {
        const string german = "Der Computer ist ein sehr wichtiges Werkzeug für die Schüler. Sie können damit lernen und schreiben. " +
            "Aber man sollte nicht zu viel Zeit vor dem Bildschirm verbringen, weil das schlecht für die Gesundheit ist.";

        var r = TestGrader.Instance.Grade(new EssayRequest(german, 1));

        Assert.Contains(r.Flags, f => f.Code == "non_english");
        Assert.Equal(2, r.Score.Score);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(null)]
    public void Grade_PlaceholdersAndNumbersOnly_FlaggedWithMinimumScore(int? prompt)
    {
        // ASAP's anonymised entities are not words: a text made of them passed every word-based check before.
        string[] kinds = ["@PERSON", "@LOCATION", "@ORGANIZATION", "@CAPS", "@NUM", "@PERCENT", "@DATE"];
        var rng = new Random(5);
        var tokens = Enumerable.Range(0, 400).Select(i => (i % 5 == 4 ? rng.Next(1, 99).ToString(System.Globalization.CultureInfo.InvariantCulture) : kinds[rng.Next(kinds.Length)] + rng.Next(1, 40)) + (i % 9 == 8 ? "." : ""));

        var r = TestGrader.Instance.Grade(new EssayRequest(string.Join(' ', tokens), prompt));

        Assert.Contains(r.Flags, f => f.Code == "gibberish" && f.Effect == "minimum");
        Assert.Equal(0, r.Score.Normalized);
        if (prompt is not null)
        {
            Assert.Equal(r.Score.Min, r.Score.Score);
        }
    }

    [Fact]
    public void Grade_NonLatinScript_FlaggedNotThrown()
    {
        var r = TestGrader.Instance.Grade(new EssayRequest("我认为电脑对人们有积极的影响。首先，它们帮助学生学习。其次，它们让人们与朋友交流。", 1));

        Assert.Contains(r.Flags, f => f.Code is "non_english" or "binary_or_garbage" or "too_short");
        Assert.Equal(2, r.Score.Score);
    }

    [Fact]
    public void Grade_HundredThousandWords_CompletesQuicklyWithFlag()
    {
        var text = string.Concat(Enumerable.Repeat("Computers help students learn about the world every day. ", 12_500)) + " extra words here";
        var sw = System.Diagnostics.Stopwatch.StartNew();

        var r = TestGrader.Instance.Grade(new EssayRequest(text, 1));

        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"took {sw.Elapsed}");
        Assert.Contains(r.Flags, f => f.Code == "too_long");
        Assert.Contains(r.Flags, f => f.Code == "repetition");
        Assert.True(r.Suggestions.Count <= EssayGrader.MaxSuggestions);
    }

    [Fact]
    public void Grade_SingleWord_GradedAsTooShort()
    {
        var r = TestGrader.Instance.Grade(new EssayRequest("Computers.", 5));

        Assert.Contains(r.Flags, f => f.Code == "too_short");
        Assert.Equal(0, r.Score.Score);
    }
}
