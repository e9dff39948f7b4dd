using System.Security.Cryptography;
using System.Text;
using Sluice.Classification.Model;
using Sluice.Classification.Text;

namespace Sluice.Classification.Training;

/// <summary>
/// Trains the text classifier: multinomial logistic regression over hashed features (<see cref="TextFeatures"/>) by
/// mini-batch Adam, updating only the weights a batch touches (lazy Adam: a step costs its features, not 2^bits).
/// A seeded split holds <see cref="TrainingSettings.HoldOut"/> of the examples out, a seeded shuffle orders each epoch,
/// and sums run in a fixed order, so the same data and settings give the same weights bit for bit; the version is
/// derived from both, which makes a re-run of a job (after a crash) write the same file under the same version.
/// </summary>
internal static class ClassifierTrainer
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;

    public static TrainingResult Train(IReadOnlyList<LabelledText> examples, string trainedOn, TrainingSettings settings, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        if (settings.Epochs is < 1 or > TrainingSettings.MaxEpochs)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Epochs, $"epochs must be 1 to {TrainingSettings.MaxEpochs}");
        }

        var labels = LabelsOf(examples);
        var bits = settings.Bits;
        var x = new SparseVector[examples.Count];
        var y = new int[examples.Count];
        for (var i = 0; i < examples.Count; i++)
        {
            x[i] = SparseVector.Of(examples[i].Text, bits);
            y[i] = Array.BinarySearch(labels, examples[i].Label, StringComparer.Ordinal);
        }

        var order = Permutation(examples.Count, new Random(settings.Seed));
        var testCount = examples.Count < 5 ? 0 : (int)Math.Round(examples.Count * Math.Clamp(settings.HoldOut, 0, 0.5));
        var test = order[..testCount];
        var train = order[testCount..];

        var classes = labels.Length;
        var weights = new float[classes << bits];
        var bias = new float[classes];
        var m = new float[weights.Length];
        var v = new float[weights.Length];
        var mb = new double[classes];
        var vb = new double[classes];
        var grad = new float[weights.Length];
        var gradBias = new double[classes];
        var touchedAt = new int[weights.Length];
        var touched = new List<int>();
        var p = new double[classes];
        var shuffle = new Random(unchecked(settings.Seed * 31 + 7));
        var step = 0;
        double loss = 0;
        double accuracy = 0;
        for (var epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            // Between epochs only: an epoch is short, and its weights stay consistent.
            cancellationToken.ThrowIfCancellationRequested();
            Shuffle(train, shuffle);
            double epochLoss = 0;
            for (var start = 0; start < train.Length; start += settings.BatchSize)
            {
                var end = Math.Min(train.Length, start + settings.BatchSize);
                step++;
                touched.Clear();
                Array.Clear(gradBias);
                var scale = 1.0 / (end - start);
                for (var b = start; b < end; b++)
                {
                    var i = train[b];
                    ClassifierWeights.Softmax(bias, weights, bits, x[i], p);
                    epochLoss -= Math.Log(Math.Max(p[y[i]], 1e-12));
                    for (var k = 0; k < classes; k++)
                    {
                        var g = (p[k] - (k == y[i] ? 1 : 0)) * scale;
                        gradBias[k] += g;
                        var row = k << bits;
                        for (var j = 0; j < x[i].Indices.Length; j++)
                        {
                            var w = row + x[i].Indices[j];
                            if (touchedAt[w] != step)
                            {
                                touchedAt[w] = step;
                                grad[w] = 0;
                                touched.Add(w);
                            }

                            grad[w] += (float)(g * x[i].Values[j]);
                        }
                    }
                }

                var correction1 = 1 - Math.Pow(Beta1, step);
                var correction2 = 1 - Math.Pow(Beta2, step);
                var lr = settings.LearningRate * Math.Sqrt(correction2) / correction1;
                foreach (var w in touched)
                {
                    var g = grad[w] + settings.L2 * weights[w];
                    m[w] = (float)(Beta1 * m[w] + (1 - Beta1) * g);
                    v[w] = (float)(Beta2 * v[w] + (1 - Beta2) * g * g);
                    weights[w] -= (float)(lr * m[w] / (Math.Sqrt(v[w]) + Epsilon));
                }

                for (var k = 0; k < classes; k++)
                {
                    mb[k] = Beta1 * mb[k] + (1 - Beta1) * gradBias[k];
                    vb[k] = Beta2 * vb[k] + (1 - Beta2) * gradBias[k] * gradBias[k];
                    bias[k] -= (float)(lr * mb[k] / (Math.Sqrt(vb[k]) + Epsilon));
                }
            }

            loss = train.Length == 0 ? 0 : epochLoss / train.Length;
            accuracy = Accuracy(bias, weights, bits, x, y, test, p);
            onEpoch?.Invoke(new EpochReport(epoch, settings.Epochs, loss, accuracy));
        }

        var version = VersionOf(examples, settings);
        var model = new ClassifierWeights(bits, labels, weights, bias, version, $"{trainedOn} ({examples.Count} examples)");
        return new TrainingResult(model, train.Length, test.Length, loss, accuracy, settings.Epochs);
    }

    /// <summary>A short hash of the examples (in order) and the settings: the same training gives the same version.</summary>
    public static string VersionOf(IReadOnlyList<LabelledText> examples, TrainingSettings settings)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"clf{ClassifierFile.FormatVersion}|{settings.Epochs}|{settings.Bits}|{settings.Seed}|{settings.HoldOut}|{settings.BatchSize}|{settings.LearningRate}|{settings.L2}\n"));
        foreach (var e in examples)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(e.Text));
            hash.AppendData("\t"u8);
            hash.AppendData(Encoding.UTF8.GetBytes(e.Label));
            hash.AppendData("\n"u8);
        }

        return "clf-" + Convert.ToHexStringLower(hash.GetHashAndReset())[..12];
    }

    /// <summary>Share of <paramref name="rows"/> whose most probable label is their own (0 when there are none).</summary>
    private static double Accuracy(float[] bias, float[] weights, int bits, SparseVector[] x, int[] y, int[] rows, double[] p)
    {
        if (rows.Length == 0)
        {
            return 0;
        }

        var right = 0;
        foreach (var i in rows)
        {
            ClassifierWeights.Softmax(bias, weights, bits, x[i], p);
            if (ClassifierWeights.ArgMax(p) == y[i])
            {
                right++;
            }
        }

        return (double)right / rows.Length;
    }

    private static string[] LabelsOf(IReadOnlyList<LabelledText> examples)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var e in examples)
        {
            set.Add(e.Label);
        }

        if (set.Count < 2)
        {
            throw new ArgumentException("training needs examples of at least two labels", nameof(examples));
        }

        return [.. set];
    }

    private static int[] Permutation(int n, Random random)
    {
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Shuffle(order, random);
        return order;
    }

    private static void Shuffle(int[] items, Random random)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
