using Sluice.Core.Scheduling;

namespace Sluice.Core.Tests.Scheduling;

public sealed class LatencyModelTests
{
    [Fact]
    public void PredictMs_LinearObservations_RecoversFixedAndPerItemCost()
    {
        var model = new LatencyModel();
        for (var n = 1; n <= 32; n++)
        {
            model.Observe(n, 20 + (1.5 * n));
        }

        var (a, b) = model.Coefficients;
        Assert.Equal(20, a, 3);
        Assert.Equal(1.5, b, 3);
        Assert.Equal(20 + (1.5 * 10), model.PredictMs(10), 3);
    }

    [Fact]
    public void PredictMs_NoObservations_IsZero() => Assert.Equal(0, new LatencyModel().PredictMs(8));

    [Fact]
    public void PredictMs_OnlyOneBatchSizeSeen_ScalesProportionally()
    {
        var model = new LatencyModel();
        model.Observe(4, 40);
        model.Observe(4, 40);
        Assert.Equal(80, model.PredictMs(8), 3);
    }

    [Fact]
    public void Observe_BeyondWindow_ForgetsOldestBatches()
    {
        var model = new LatencyModel(window: 10);
        for (var i = 0; i < 10; i++)
        {
            model.Observe(1 + (i % 5), 1000);
        }

        for (var i = 0; i < 10; i++)
        {
            model.Observe(1 + (i % 5), 10 * (1 + (i % 5)));
        }

        Assert.Equal(50, model.PredictMs(5), 3);
        Assert.Equal(10, model.Samples);
    }
}
