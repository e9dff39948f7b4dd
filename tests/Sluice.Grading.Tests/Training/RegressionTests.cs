using Sluice.Grading.Training;

namespace Sluice.Grading.Tests.Training;

public sealed class RegressionTests
{
    [Fact]
    public void RidgeFit_LinearData_RecoversWeights()
    {
        var rng = new Random(1);
        var x = Enumerable.Range(0, 200).Select(_ => new[] { rng.NextDouble(), rng.NextDouble(), rng.NextDouble() }).ToList();
        var y = x.Select(r => (2 * r[0]) - r[1] + 0.5 + (0 * r[2])).ToList();

        var (w, b) = Ridge.Fit(x, y, 1e-6);

        Assert.Equal(2, w[0], 3);
        Assert.Equal(-1, w[1], 3);
        Assert.Equal(0, w[2], 3);
        Assert.Equal(0.5, b, 3);
    }

    [Fact]
    public void KernelRidge_DualSolution_MatchesPrimalPrediction()
    {
        var rows = new List<SparseVector>
        {
            new([0, 2], [0.6f, 0.8f]), new([1], [1f]), new([0, 1], [0.8f, 0.6f]), new([2], [1f]), new([1, 2], [0.6f, 0.8f]),
        };
        double[] y = [1, 2, 3, 4, 5];
        var gram = KernelRidge.Gram(rows, 3);
        int[] all = [0, 1, 2, 3, 4];

        var (alpha, mean) = KernelRidge.Solve(gram, 5, all, y, 0.5);
        var w = KernelRidge.PrimalWeights(rows, all, alpha, 3);

        for (var i = 0; i < 5; i++)
        {
            var primal = mean + rows[i].Indices.Select((j, t) => w[j] * rows[i].Values[t]).Sum();
            Assert.Equal(KernelRidge.PredictFromGram(gram, 5, i, all, alpha, mean), primal, 5);
        }
    }

    [Fact]
    public void ThresholdMapper_ShiftedPredictions_LearnsShiftedCuts()
    {
        var truth = Enumerable.Range(0, 300).Select(i => i % 4).ToArray();
        var predictions = truth.Select(t => t + 0.45).ToArray(); // rounding would push half of them up a level

        var cuts = ThresholdMapper.Fit(predictions, truth, 0, 3);
        var mapped = predictions.Select(p => ThresholdMapper.Apply(p, cuts, 0)).ToArray();

        Assert.Equal(1.0, Qwk.Compute(mapped, truth, 0, 3), 6);
    }

    [Fact]
    public void Logistic_SeparableData_ClassifiesCorrectly()
    {
        var x = Enumerable.Range(0, 100).Select(i => new[] { (i - 50) / 25.0 }).ToList();
        var y = x.Select(r => r[0] > 0 ? 1 : 0).ToList();

        var (w, b) = Logistic.Fit(x, y);

        Assert.True(w[0] > 0);
        Assert.True(b + (w[0] * 1.5) > 0 && b - (w[0] * 1.5) < 0);
    }
}
