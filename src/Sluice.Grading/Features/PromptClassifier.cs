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
        var (index, value) = Inputs(doc);
        if (index.Length == 0)
        {
            return false;
        }

        var max = double.MinValue;
        for (var k = 0; k < Prompts.Length; k++)
        {
            var s = (double)Bias[k];
            var row = k * Words.Length;
            for (var t = 0; t < index.Length; t++)
            {
                s += Weights[row + index[t]] * value[t];
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

    /// <summary>
    /// The classifier's input, shared by training and grading: the input words the essay uses (indices, ascending) and
    /// their sublinear term frequencies 1 + ln(count), scaled to unit length. Empty when no input word occurs.
    /// </summary>
    public (int[] Index, double[] Value) Inputs(EssayDocument doc)
    {
        _index ??= Words.Select((w, i) => (w, i)).ToDictionary(x => x.w, x => x.i, StringComparer.Ordinal);
        var counts = new SortedDictionary<int, int>();
        for (var i = 0; i < doc.Tokens.Count; i++)
        {
            if (doc.Tokens[i].Kind == TokenKind.Word && _index.TryGetValue(doc.Lower[i], out var w))
            {
                counts[w] = counts.GetValueOrDefault(w) + 1;
            }
        }

        var index = new int[counts.Count];
        var value = new double[counts.Count];
        var norm = 0.0;
        var n = 0;
        foreach (var (w, c) in counts)
        {
            index[n] = w;
            value[n] = 1 + Math.Log(c);
            norm += value[n] * value[n];
            n++;
        }

        norm = Math.Sqrt(norm);
        for (var t = 0; t < n; t++)
        {
            value[t] /= norm;
        }

        return (index, value);
    }
}
