namespace Sluice.Grading.Training;

/// <summary>Dense symmetric positive-definite solves (Cholesky) for the ridge regressions.</summary>
internal static class LinearAlgebra
{
    /// <summary>Solves A x = b in place for symmetric positive-definite A (row-major n×n, overwritten).</summary>
    public static double[] SolveSpd(double[] a, int n, double[] b)
    {
        // Cholesky: A = L L^T, L stored in the lower triangle.
        for (var j = 0; j < n; j++)
        {
            var rowJ = j * n;
            var d = a[rowJ + j];
            for (var k = 0; k < j; k++)
            {
                d -= a[rowJ + k] * a[rowJ + k];
            }

            if (d <= 1e-12)
            {
                d = 1e-12; // numerically singular: regularised enough by the ridge term in practice
            }

            var ljj = Math.Sqrt(d);
            a[rowJ + j] = ljj;
            var inv = 1 / ljj;
            var lj = a.AsSpan(rowJ, j);
            for (var i = j + 1; i < n; i++)
            {
                var rowI = i * n;
                var s = a[rowI + j] - System.Numerics.Tensors.TensorPrimitives.Dot<double>(a.AsSpan(rowI, j), lj);
                a[rowI + j] = s * inv;
            }
        }

        var y = (double[])b.Clone();
        for (var i = 0; i < n; i++)
        {
            var s = y[i];
            for (var k = 0; k < i; k++)
            {
                s -= a[(i * n) + k] * y[k];
            }

            y[i] = s / a[(i * n) + i];
        }

        for (var i = n - 1; i >= 0; i--)
        {
            var s = y[i];
            for (var k = i + 1; k < n; k++)
            {
                s -= a[(k * n) + i] * y[k];
            }

            y[i] = s / a[(i * n) + i];
        }

        return y;
    }
}
