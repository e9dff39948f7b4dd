namespace Sluice.Grading.Training;

/// <summary>
/// Maps a continuous prediction to the integer scale with cut points tuned (coordinate search) to maximise QWK on the
/// training predictions; starts from plain rounding, so it can only do better than rounding on the training data.
/// </summary>
internal static class ThresholdMapper
{
    public static double[] Fit(IReadOnlyList<double> predictions, IReadOnlyList<int> truth, int min, int max)
    {
        var cuts = new double[max - min];
        for (var k = 0; k < cuts.Length; k++)
        {
            cuts[k] = min + k + 0.5;
        }

        var mapped = new int[predictions.Count];
        var truthArr = truth.ToArray();
        double Score()
        {
            for (var i = 0; i < mapped.Length; i++)
            {
                mapped[i] = Apply(predictions[i], cuts, min);
            }

            return Qwk.Compute(mapped, truthArr, min, max);
        }

        var best = Score();
        for (var pass = 0; pass < 3; pass++)
        {
            for (var k = 0; k < cuts.Length; k++)
            {
                var lo = k == 0 ? cuts[k] - 1.5 : cuts[k - 1];
                var hi = k == cuts.Length - 1 ? cuts[k] + 1.5 : cuts[k + 1];
                var original = cuts[k];
                var bestValue = original;
                for (var step = 1; step < 16; step++)
                {
                    cuts[k] = lo + ((hi - lo) * step / 16);
                    var s = Score();
                    if (s > best + 1e-9)
                    {
                        best = s;
                        bestValue = cuts[k];
                    }
                }

                cuts[k] = bestValue;
            }
        }

        for (var k = 0; k < cuts.Length; k++)
        {
            cuts[k] = Math.Round(cuts[k], 4);
        }

        return cuts;
    }

    public static int Apply(double prediction, IReadOnlyList<double> cuts, int min)
    {
        var level = 0;
        while (level < cuts.Count && prediction >= cuts[level])
        {
            level++;
        }

        return min + level;
    }
}
