using Sluice.Grading.Text;

namespace Sluice.Grading.Integrity;

/// <summary>
/// Which sentence of an essay opens it and which closes it: two conditional-logit scores over the same sentence keys,
/// learned per prompt as "which of this essay's sentences is the first (last) one". Introductions restate the task or
/// greet the reader ("Dear …", "In the story …") and conclusions sum up; a shuffle puts a middle sentence first with
/// probability (n - 2) / n, and how much likelier the model finds another sentence as the opener is strong evidence.
/// </summary>
internal sealed record BoundaryModel
{
    /// <summary>Weight of each key slot (<see cref="KeyHash"/> of <see cref="SentenceKeys"/>) for "this sentence opens the essay", in hundredths.</summary>
    public required short[] First { get; init; }

    /// <summary>The same for "this sentence closes the essay".</summary>
    public required short[] Last { get; init; }

    /// <summary>The same for "this sentence opens a paragraph" (not the first).</summary>
    public required short[] ParagraphFirst { get; init; }

    /// <summary>The same for "this sentence closes a paragraph" (not the last).</summary>
    public required short[] ParagraphLast { get; init; }

    /// <summary>Essay-opening, essay-closing, paragraph-opening and paragraph-closing scores of the first <paramref name="sentences"/> sentences.</summary>
    public double[][] Scores(EssayDocument doc, int sentences)
    {
        var scores = new[] { new double[sentences], new double[sentences], new double[sentences], new double[sentences] };
        for (var s = 0; s < sentences; s++)
        {
            foreach (var key in SentenceKeys(doc, s))
            {
                var i = KeyHash.Slot(key, First.Length);
                scores[0][s] += First[i] / 100.0;
                scores[1][s] += Last[i] / 100.0;
                scores[2][s] += ParagraphFirst[i] / 100.0;
                scores[3][s] += ParagraphLast[i] / 100.0;
            }
        }

        return scores;
    }

    /// <summary>The position keys plus the sentence's length class (openers and sign-offs are short, a thesis long).</summary>
    public static HashSet<string> SentenceKeys(EssayDocument doc, int sentence)
    {
        var keys = PositionModel.SentenceKeys(doc, sentence);
        var words = doc.Sentences[sentence].WordCount;
        keys.Add(words switch { < 6 => "#n0", < 12 => "#n1", < 20 => "#n2", < 30 => "#n3", _ => "#n4" });
        return keys;
    }
}
