namespace Sluice.Grading.Training;

/// <summary>Ridge regression on standardized dense features (closed form, intercept unpenalised).</summary>
internal static class Ridge
{
    /// <summary>Fits y ≈ X w + b; <paramref name="x"/> rows must already be standardized.</summary>
    public static (double[] Weights, double Bias) Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y, double lambda)
    {
        var n = x.Count;
        var d = x[0].Length;
        var mean = 0.0;
        foreach (var v in y)
        {
            mean += v;
        }

        mean /= n;
        var xm = new double[d];
        foreach (var row in x)
        {
            for (var j = 0; j < d; j++)
            {
                xm[j] += row[j] / n;
            }
        }

        var a = new double[d * d];
        var b = new double[d];
        for (var i = 0; i < n; i++)
        {
            var row = x[i];
            var yi = y[i] - mean;
            for (var j = 0; j < d; j++)
            {
                var xj = row[j] - xm[j];
                b[j] += xj * yi;
                for (var k = 0; k <= j; k++)
                {
                    a[(j * d) + k] += xj * (row[k] - xm[k]);
                }
            }
        }

        for (var j = 0; j < d; j++)
        {
            for (var k = 0; k < j; k++)
            {
                a[(k * d) + j] = a[(j * d) + k];
            }

            a[(j * d) + j] += lambda;
        }

        var w = LinearAlgebra.SolveSpd(a, d, b);
        var bias = mean;
        for (var j = 0; j < d; j++)
        {
            bias -= w[j] * xm[j];
        }

        return (w, bias);
    }

    public static double Predict(ReadOnlySpan<double> x, ReadOnlySpan<double> w, double bias)
    {
        var s = bias;
        for (var j = 0; j < w.Length; j++)
        {
            s += x[j] * w[j];
        }

        return s;
    }
}
