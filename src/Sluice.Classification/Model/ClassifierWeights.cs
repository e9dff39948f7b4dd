using Sluice.Classification.Text;

namespace Sluice.Classification.Model;

/// <summary>
/// A trained multinomial logistic regression over hashed features: <see cref="Weights"/> is
/// (labels, 2^<see cref="Bits"/>) row-major, <see cref="Bias"/> (labels). Immutable once built: the served model swaps
/// whole instances, never edits one.
/// </summary>
internal sealed class ClassifierWeights
{
    public ClassifierWeights(int bits, string[] labels, float[] weights, float[] bias, string version, string trainedOn)
    {
        if (bits is < ClassifierFile.MinBits or > ClassifierFile.MaxBits)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, $"feature bits must be {ClassifierFile.MinBits} to {ClassifierFile.MaxBits}");
        }

        if (labels.Length < 2 || weights.Length != labels.Length << bits || bias.Length != labels.Length)
        {
            throw new ArgumentException("weights must be (labels, 2^bits) and bias (labels), with at least two labels");
        }

        Bits = bits;
        Labels = labels;
        Weights = weights;
        Bias = bias;
        Version = version;
        TrainedOn = trainedOn;
    }

    public int Bits { get; }

    public int Buckets => 1 << Bits;

    public string[] Labels { get; }

    public float[] Weights { get; }

    public float[] Bias { get; }

    /// <summary>Derived from the training data and settings (see <see cref="Training.ClassifierTrainer"/>).</summary>
    public string Version { get; }

    /// <summary>What the model was trained on (file names, example count), for <c>GET /v1/models</c>.</summary>
    public string TrainedOn { get; }

    /// <summary>Class probabilities of <paramref name="x"/> into <paramref name="probabilities"/> (length = labels).</summary>
    public void Predict(SparseVector x, Span<double> probabilities) => Softmax(Bias, Weights, Bits, x, probabilities);

    /// <summary>The index of the largest probability (the first one on a tie).</summary>
    public static int ArgMax(ReadOnlySpan<double> probabilities)
    {
        var best = 0;
        for (var k = 1; k < probabilities.Length; k++)
        {
            if (probabilities[k] > probabilities[best])
            {
                best = k;
            }
        }

        return best;
    }

    /// <summary>Softmax of the logits of <paramref name="x"/>; shared by training and serving so both score alike.</summary>
    public static void Softmax(float[] bias, float[] weights, int bits, SparseVector x, Span<double> probabilities)
    {
        var max = double.NegativeInfinity;
        for (var k = 0; k < probabilities.Length; k++)
        {
            double z = bias[k];
            var row = k << bits;
            for (var j = 0; j < x.Indices.Length; j++)
            {
                z += weights[row + x.Indices[j]] * x.Values[j];
            }

            probabilities[k] = z;
            max = Math.Max(max, z);
        }

        double sum = 0;
        for (var k = 0; k < probabilities.Length; k++)
        {
            probabilities[k] = Math.Exp(probabilities[k] - max);
            sum += probabilities[k];
        }

        for (var k = 0; k < probabilities.Length; k++)
        {
            probabilities[k] /= sum;
        }
    }
}
