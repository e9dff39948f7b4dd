using System.Numerics.Tensors;
using Sluice.Engine.Inference;

namespace Sluice.Engine.Tests.Inference;

public sealed unsafe class VectorMathTests
{
    [Fact]
    public void SwiGlu_RaggedLength_MatchesTensorPrimitivesBitForBit()
    {
        // 172 is stories260K's hidden size: not a multiple of 8, so the padded tail is exercised.
        var (h, g) = Inputs(3 * 172, seed: 1);
        var expectedH = (float[])h.Clone();
        var expectedG = (float[])g.Clone();
        TensorPrimitives.Multiply(expectedH, expectedG, expectedG);
        TensorPrimitives.Sigmoid(expectedH, expectedH);
        TensorPrimitives.Multiply(expectedH, expectedG, expectedH);

        fixed (float* hp = h, gp = g)
        {
            VectorMath.SwiGlu(hp, gp, h.Length);
        }

        Assert.Equal(expectedH, h);
    }

    [Fact]
    public void SwiGlu_SameValuesAtAnyOffset_SameResults()
    {
        // A row's result must not depend on whether it lands in the vector body or the padded tail.
        var (h, g) = Inputs(13, seed: 2);
        var alone = (float[])h.Clone();
        fixed (float* hp = alone, gp = (float[])g.Clone())
        {
            VectorMath.SwiGlu(hp, gp, alone.Length);
        }

        var shiftedH = new float[3 + h.Length];
        var shiftedG = new float[3 + g.Length];
        h.CopyTo(shiftedH, 3);
        g.CopyTo(shiftedG, 3);
        fixed (float* hp = shiftedH, gp = shiftedG)
        {
            VectorMath.SwiGlu(hp, gp, shiftedH.Length);
        }

        Assert.Equal(alone, shiftedH[3..]);
    }

    [Fact]
    public void Softmax_VocabularyOfLogits_IsADistributionCloseToTheScalarOne()
    {
        var (logits, _) = Inputs(32003, seed: 3);

        // Reference in double precision: exp(x - max) / Σ.
        var max = logits.Max();
        var sum = logits.Sum(v => Math.Exp(v - max));
        var scalar = logits.Select(v => (float)(Math.Exp(v - max) / sum)).ToArray();

        VectorMath.Softmax(logits);

        Assert.Equal(1.0, logits.Sum(v => (double)v), 4);
        for (var i = 0; i < logits.Length; i++)
        {
            Assert.True(Math.Abs(logits[i] - scalar[i]) <= 1e-6f * Math.Max(1f, scalar[i] * 1e3f), $"token {i}: {logits[i]} vs {scalar[i]}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(37)]
    [InlineData(32000)]
    public void Argmax_RandomRowsWithTies_SameIndexAsTheScalarLoop(int length)
    {
        var rng = new Random(length);
        for (var trial = 0; trial < 50; trial++)
        {
            // Few distinct values, so the maximum is often tied; zeros of both signs and -inf mixed in.
            var values = new float[length];
            for (var i = 0; i < length; i++)
            {
                values[i] = rng.Next(6) switch { 0 => float.NegativeInfinity, 1 => -0f, 2 => 0f, _ => rng.Next(4) };
            }

            Assert.Equal(ScalarArgmax(values), VectorMath.Argmax(values));
        }
    }

    [Fact]
    public void Argmax_NaNs_SameIndexAsTheScalarLoop()
    {
        var values = new float[40];
        values[5] = 3f;
        values[20] = float.NaN;
        Assert.Equal(ScalarArgmax(values), VectorMath.Argmax(values));
        values[0] = float.NaN;
        Assert.Equal(ScalarArgmax(values), VectorMath.Argmax(values));
        values[0] = 0f;
        values[39] = float.NaN;
        Assert.Equal(ScalarArgmax(values), VectorMath.Argmax(values));
    }

    /// <summary>llama2.c's <c>sample_argmax</c>.</summary>
    private static int ScalarArgmax(float[] values)
    {
        var best = 0;
        var max = values[0];
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > max)
            {
                max = values[i];
                best = i;
            }
        }

        return best;
    }

    [Fact]
    public void Softmax_WithNegativeInfinity_GivesThoseTokensZero()
    {
        var logits = new[] { 1f, float.NegativeInfinity, 2f, float.NegativeInfinity, 0.5f, 3f, 1f, 1f, 2f, float.NegativeInfinity };

        VectorMath.Softmax(logits);

        Assert.Equal(0f, logits[1]);
        Assert.Equal(0f, logits[3]);
        Assert.Equal(0f, logits[9]);
        Assert.Equal(5, Array.IndexOf(logits, logits.Max()));
    }

    private static (float[] H, float[] G) Inputs(int n, int seed)
    {
        var random = new Random(seed);
        var h = new float[n];
        var g = new float[n];
        for (var i = 0; i < n; i++)
        {
            h[i] = (float)(random.NextDouble() * 16 - 8);
            g[i] = (float)(random.NextDouble() * 4 - 2);
        }

        return (h, g);
    }
}
