namespace Sluice.Grading.Training;

/// <summary>Quadratic weighted kappa between two integer ratings on [min, max].</summary>
internal static class Qwk
{
    public static double Compute(ReadOnlySpan<int> a, ReadOnlySpan<int> b, int min, int max)
    {
        var k = max - min + 1;
        if (a.Length == 0 || k <= 1)
        {
            return 0;
        }

        var observed = new double[k, k];
        var histA = new double[k];
        var histB = new double[k];
        for (var i = 0; i < a.Length; i++)
        {
            var x = Math.Clamp(a[i], min, max) - min;
            var y = Math.Clamp(b[i], min, max) - min;
            observed[x, y]++;
            histA[x]++;
            histB[y]++;
        }

        double num = 0, den = 0;
        var n = (double)a.Length;
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                var w = (double)(i - j) * (i - j) / ((k - 1) * (k - 1));
                num += w * observed[i, j];
                den += w * histA[i] * histB[j] / n;
            }
        }

        return den == 0 ? 1 : 1 - (num / den);
    }
}
