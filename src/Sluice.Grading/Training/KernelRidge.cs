namespace Sluice.Grading.Training;

/// <summary>
/// Linear ridge regression over sparse n-gram rows solved in the dual: with a few thousand essays and thousands of
/// n-grams, the n×n Gram matrix is smaller than the d×d one. The Gram matrix is computed once per training set and
/// sub-matrices serve the internal cross-validation folds.
/// </summary>
internal static class KernelRidge
{
    public static double[] Gram(IReadOnlyList<SparseVector> rows, int dims)
    {
        var n = rows.Count;
        var k = new double[n * n];
        var dense = new float[dims];
        for (var i = 0; i < n; i++)
        {
            var ri = rows[i];
            for (var t = 0; t < ri.Indices.Length; t++)
            {
                dense[ri.Indices[t]] = ri.Values[t];
            }

            for (var j = 0; j <= i; j++)
            {
                var rj = rows[j];
                double s = 0;
                for (var t = 0; t < rj.Indices.Length; t++)
                {
                    s += dense[rj.Indices[t]] * rj.Values[t];
                }

                k[(i * n) + j] = s;
                k[(j * n) + i] = s;
            }

            for (var t = 0; t < ri.Indices.Length; t++)
            {
                dense[ri.Indices[t]] = 0;
            }
        }

        return k;
    }

    /// <summary>Dual coefficients α for the subset <paramref name="train"/> of the Gram matrix (targets centred inside).</summary>
    public static (double[] Alpha, double Mean) Solve(double[] gram, int n, int[] train, IReadOnlyList<double> y, double lambda)
    {
        var m = train.Length;
        var a = new double[m * m];
        var b = new double[m];
        var mean = 0.0;
        foreach (var i in train)
        {
            mean += y[i];
        }

        mean /= m;
        for (var p = 0; p < m; p++)
        {
            var row = train[p] * n;
            for (var q = 0; q < m; q++)
            {
                a[(p * m) + q] = gram[row + train[q]];
            }

            a[(p * m) + p] += lambda;
            b[p] = y[train[p]] - mean;
        }

        return (LinearAlgebra.SolveSpd(a, m, b), mean);
    }

    /// <summary>Prediction for essay <paramref name="i"/> (an index into the Gram matrix) from dual coefficients.</summary>
    public static double PredictFromGram(double[] gram, int n, int i, int[] train, double[] alpha, double mean)
    {
        var s = mean;
        var row = i * n;
        for (var p = 0; p < train.Length; p++)
        {
            s += alpha[p] * gram[row + train[p]];
        }

        return s;
    }

    /// <summary>Primal weights w = Σ α_i x_i over the vocabulary.</summary>
    public static double[] PrimalWeights(IReadOnlyList<SparseVector> rows, int[] train, double[] alpha, int dims)
    {
        var w = new double[dims];
        for (var p = 0; p < train.Length; p++)
        {
            var r = rows[train[p]];
            for (var t = 0; t < r.Indices.Length; t++)
            {
                w[r.Indices[t]] += alpha[p] * r.Values[t];
            }
        }

        return w;
    }
}
