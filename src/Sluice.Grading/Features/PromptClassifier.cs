using Sluice.Grading.Text;

namespace Sluice.Grading.Features;

/// <summary>
/// Which prompt an essay answers: multinomial logistic regression over the sublinear, L2-normalised term frequencies
/// of the prompts' profile keywords. The profiles alone score each prompt separately and miss short answers written
/// for another prompt; a model trained to tell the prompts apart weighs the words that separate them (the cyclist's
/// "road" against the hibiscus's "snow") against each other.
/// </summary>
internal sealed record PromptClassifier
{
    /// <summary>The prompt of each class.</summary>
    public required int[] Prompts { get; init; }

    /// <summary>Input words (the union of the prompts' profile keywords).</summary>
    public required string[] Words { get; init; }

    /// <summary>Class weights, row-major [class, word] (Prompts.Length × Words.Length).</summary>
    public required float[] Weights { get; init; }

    /// <summary>[class].</summary>
    public required float[] Bias { get; init; }

    private Dictionary<string, int>? _index;

    /// <summary>Class probabilities (same order as <see cref="Prompts"/>); false when no input word occurs.</summary>
    public bool TryClassify(EssayDocument doc, Span<double> probabilities)
    {
        var counts = Counts(doc);
        if (counts.Count == 0)
        {
            return false;
        }

        var norm = 0.0;
        foreach (var c in counts.Values)
        {
            var tf = 1 + Math.Log(c);
            norm += tf * tf;
        }

        norm = Math.Sqrt(norm);
        var max = double.MinValue;
        for (var k = 0; k < Prompts.Length; k++)
        {
            var s = (double)Bias[k];
            var row = k * Words.Length;
            foreach (var (w, c) in counts)
            {
                s += Weights[row + w] * (1 + Math.Log(c)) / norm;
            }

            probabilities[k] = s;
            max = Math.Max(max, s);
        }

        var sum = 0.0;
        for (var k = 0; k < Prompts.Length; k++)
        {
            probabilities[k] = Math.Exp(probabilities[k] - max);
            sum += probabilities[k];
        }

        for (var k = 0; k < Prompts.Length; k++)
        {
            probabilities[k] /= sum;
        }

        return true;
    }

    /// <summary>Occurrences of each input word in the essay, by word index.</summary>
    public Dictionary<int, int> Counts(EssayDocument doc)
    {
        _index ??= Words.Select((w, i) => (w, i)).ToDictionary(x => x.w, x => x.i, StringComparer.Ordinal);
        var counts = new Dictionary<int, int>();
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            if (doc.Tokens[i].Kind == TokenKind.Word && _index.TryGetValue(doc.Lower[i], out var w))
            {
                counts[w] = counts.GetValueOrDefault(w) + 1;
            }
        }

        return counts;
    }
}
