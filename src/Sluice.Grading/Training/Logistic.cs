namespace Sluice.Grading.Training;

/// <summary>L2-regularised logistic regression by full-batch gradient descent on standardized inputs (deterministic).</summary>
internal static class Logistic
{
    public static (double[] Weights, double Bias) Fit(IReadOnlyList<double[]> x, IReadOnlyList<int> y, double l2 = 1e-3, int iterations = 400, double rate = 0.5)
    {
        var d = x[0].Length;
        var w = new double[d];
        var b = 0.0;
        var grad = new double[d];
        for (var it = 0; it < iterations; it++)
        {
            Array.Clear(grad);
            var gb = 0.0;
            for (var i = 0; i < x.Count; i++)
            {
                var s = b;
                for (var j = 0; j < d; j++)
                {
                    s += w[j] * x[i][j];
                }

                var err = (1 / (1 + Math.Exp(-s))) - y[i];
                for (var j = 0; j < d; j++)
                {
                    grad[j] += err * x[i][j];
                }

                gb += err;
            }

            for (var j = 0; j < d; j++)
            {
                w[j] -= rate * ((grad[j] / x.Count) + (l2 * w[j]));
            }

            b -= rate * gb / x.Count;
        }

        return (w, b);
    }
}
