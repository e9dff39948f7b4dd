using Sluice.Bench.Histograms;

namespace Sluice.Bench.Tests.Histograms;

public sealed class LogLinearHistogramTests
{
    private static readonly double[] s_percentiles = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

    public static TheoryData<string> Distributions => new() { "uniform", "exponential", "lognormal", "bimodal", "constant" };

    [Theory]
    [MemberData(nameof(Distributions))]
    public void ValueAtPercentile_KnownDistribution_WithinRelativeErrorOfExactNearestRank(string distribution)
    {
        long[] values = Sample(distribution, 200_000, seed: 42);
        var histogram = new LogLinearHistogram();
        foreach (long v in values)
        {
            histogram.Record(v);
        }

        Array.Sort(values);
        foreach (double p in s_percentiles)
        {
            long exact = ExactNearestRank(values, p);
            long estimate = histogram.ValueAtPercentile(p);
            double error = Math.Abs(estimate - exact) / (double)Math.Max(1, exact);
            Assert.True(
                error <= histogram.MaxRelativeError,
                $"{distribution} p{p}: exact {exact}, histogram {estimate}, relative error {error:P3} > {histogram.MaxRelativeError:P3}");
        }
    }

    [Fact]
    public void Record_ManyValues_CountsMinMaxSumAreExact()
    {
        long[] values = Sample("lognormal", 50_000, seed: 7);
        var histogram = new LogLinearHistogram();
        foreach (long v in values)
        {
            histogram.Record(v);
        }

        Assert.Equal(values.Length, histogram.TotalCount);
        Assert.Equal(values.Min(), histogram.Min);
        Assert.Equal(values.Max(), histogram.Max);
        Assert.Equal(values.Sum(), histogram.Sum);
        Assert.Equal(values.Max(), histogram.ValueAtPercentile(100));
        Assert.Equal(values.Min(), histogram.ValueAtPercentile(0));
    }

    [Fact]
    public void Record_ValuesBelowSubBucketCount_AreExact()
    {
        var histogram = new LogLinearHistogram(precisionBits: 7);
        for (long v = 0; v < 128; v++)
        {
            histogram.Record(v);
        }

        for (long v = 0; v < 128; v++)
        {
            Assert.Equal(1, histogram.CountAtValue(v));
        }

        Assert.Equal(63, histogram.ValueAtPercentile(50));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(10)]
    public void BucketWidth_AnyValue_BoundedByPrecision(int bits)
    {
        var histogram = new LogLinearHistogram(bits);
        var random = new Random(3);
        for (int i = 0; i < 10_000; i++)
        {
            long v = (long)Math.Exp(random.NextDouble() * 27); // up to ~5e11
            long low = histogram.LowestEquivalentValue(v);
            long width = histogram.BucketWidth(v);
            Assert.InRange(v, low, low + width - 1);
            Assert.True(width <= Math.Max(1, low >> bits), $"value {v}: width {width}, low {low}");
        }
    }

    [Fact]
    public void Add_PerWorkerHistograms_EqualsOneHistogramOfAllValues()
    {
        long[] values = Sample("exponential", 90_000, seed: 11);
        var single = new LogLinearHistogram();
        var workers = new[] { new LogLinearHistogram(), new LogLinearHistogram(), new LogLinearHistogram() };
        for (int i = 0; i < values.Length; i++)
        {
            single.Record(values[i]);
            workers[i % 3].Record(values[i]);
        }

        var merged = new LogLinearHistogram();
        foreach (LogLinearHistogram w in workers)
        {
            merged.Add(w);
        }

        Assert.Equal(single.TotalCount, merged.TotalCount);
        Assert.Equal(single.Sum, merged.Sum);
        Assert.Equal(single.Min, merged.Min);
        Assert.Equal(single.Max, merged.Max);
        foreach (double p in s_percentiles)
        {
            Assert.Equal(single.ValueAtPercentile(p), merged.ValueAtPercentile(p));
        }
    }

    [Fact]
    public void Add_DifferentPrecision_Throws()
    {
        Assert.Throws<ArgumentException>(() => new LogLinearHistogram(7).Add(new LogLinearHistogram(5)));
    }

    [Fact]
    public async Task RecordConcurrent_ManyThreads_NoCountLost()
    {
        var histogram = new LogLinearHistogram(5);
        const int perThread = 100_000;
        Task[] tasks = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < perThread; i++)
            {
                histogram.RecordConcurrent(1000 + (i % 500));
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        Assert.Equal(4 * perThread, histogram.TotalCount);
        Assert.Equal(1000, histogram.Min);
        Assert.Equal(1499, histogram.Max);
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(10_000)]
    [InlineData(100_000)]
    public void ValueAtPercentile_P999WithOneOutlierPerThousand_IsTheNearestRankNotTheMax(int count)
    {
        // Nearest rank of p99.9 over N values is the (0.999·N)th: with one outlier per thousand it is a typical value.
        var histogram = new LogLinearHistogram();
        for (int i = 0; i < count; i++)
        {
            histogram.Record(i < count * 999 / 1000 ? 100 : 1_000_000);
        }

        Assert.Equal(100, histogram.ValueAtPercentile(99.9));
        Assert.Equal(1_000_000, histogram.ValueAtPercentile(100));
    }

    [Fact]
    public void ValueAtPercentile_OneValue_EveryPercentileIsThatValue()
    {
        var histogram = new LogLinearHistogram();
        histogram.Record(123_457);
        foreach (double p in s_percentiles)
        {
            Assert.Equal(123_457, histogram.ValueAtPercentile(p));
        }
    }

    [Fact]
    public void ValueAtPercentile_Empty_ReturnsZero()
    {
        var histogram = new LogLinearHistogram();
        Assert.Equal(0, histogram.ValueAtPercentile(99));
        Assert.Equal(LatencySummary.Empty, LatencySummary.FromMicroseconds(histogram));
    }

    [Fact]
    public void Record_ValueAboveTrackableRange_ClampedButMaxExact()
    {
        var histogram = new LogLinearHistogram();
        histogram.Record(long.MaxValue / 2);
        Assert.Equal(long.MaxValue / 2, histogram.Max);
        Assert.Equal(long.MaxValue / 2, histogram.ValueAtPercentile(50));
    }

    private static long ExactNearestRank(long[] sorted, double p)
    {
        long rank = (long)Math.Ceiling((decimal)p * sorted.Length / 100m); // decimal: 99.9 / 100.0 * 1000 > 999 in double
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    private static long[] Sample(string distribution, int n, int seed)
    {
        var random = new Random(seed);
        var values = new long[n];
        for (int i = 0; i < n; i++)
        {
            double u = random.NextDouble();
            values[i] = distribution switch
            {
                "uniform" => random.NextInt64(0, 10_000_000),
                "exponential" => (long)(-Math.Log(1 - u) * 5_000),
                "lognormal" => (long)Math.Exp(8 + (1.5 * Normal(random))),
                "bimodal" => u < 0.9 ? 200 + random.Next(100) : 2_000_000 + random.Next(3_000_000),
                _ => 123_456,
            };
        }

        return values;
    }

    private static double Normal(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
