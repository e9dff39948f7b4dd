using Sluice.Engine.Sampling;

namespace Sluice.Engine.Tests.Sampling;

public sealed class SamplerTests
{
    private static float[] Logits()
    {
        var random = new Random(11);
        var logits = new float[512];
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = (float)(random.NextDouble() * 8 - 4);
        }

        return logits;
    }

    [Fact]
    public void Sample_TemperatureZero_ReturnsArgmax()
    {
        var logits = Logits();
        var sampler = new Sampler(0f, 0.9f, 0, 1);

        Assert.Equal(Array.IndexOf(logits, logits.Max()), sampler.Sample(logits.ToArray()));
    }

    [Theory]
    [InlineData(1e-40f, 1f, 0)]
    [InlineData(1e-40f, 0.9f, 0)]
    [InlineData(1e-38f, 1f, 5)]
    public void Sample_TinyPositiveTemperature_ReturnsArgmaxAsGreedy(float temperature, float topP, int topK)
    {
        // Requests may ask for any temperature from 0 to 100; 1 / 1e-40 overflowed and the softmax went NaN,
        // so every draw returned the vocabulary's last token instead of the near-certain best one.
        var logits = Logits();
        var sampler = new Sampler(temperature, topP, topK, 1);

        Assert.Equal(Array.IndexOf(logits, logits.Max()), sampler.Sample(logits.ToArray()));
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0.5f)]
    public void Sample_PlainMultinomialOverLargeVocabulary_FrequenciesFollowSoftmax(float temperature)
    {
        // 200 tokens: token 150 carries half the probability mass, the rest is uniform, so the draw must cross
        // whole 64-token blocks (skipped by their sums) and land inside them.
        var logits = new float[200];
        logits[150] = MathF.Log(199f) * temperature;
        var sampler = new Sampler(temperature, 1f, 0, 7);
        var counts = new int[logits.Length];
        const int Draws = 8000;
        for (var i = 0; i < Draws; i++)
        {
            counts[sampler.Sample(logits.ToArray())]++;
        }

        Assert.InRange(counts[150] / (double)Draws, 0.47, 0.53);
        Assert.InRange(counts[..64].Sum() / (double)Draws, 0.5 * 64 / 199 - 0.03, 0.5 * 64 / 199 + 0.03);
        Assert.InRange(counts[151..].Sum() / (double)Draws, 0.5 * 49 / 199 - 0.03, 0.5 * 49 / 199 + 0.03);
    }

    [Fact]
    public void Sample_SameSeed_SameTokens()
    {
        var a = new Sampler(0.8f, 0.95f, 40, 1234);
        var b = new Sampler(0.8f, 0.95f, 40, 1234);
        var c = new Sampler(0.8f, 0.95f, 40, 999);
        var logits = Logits();
        var same = 0;
        var differ = 0;
        for (var i = 0; i < 200; i++)
        {
            var ta = a.Sample(logits.ToArray());
            Assert.Equal(ta, b.Sample(logits.ToArray()));
            if (ta == c.Sample(logits.ToArray())) { same++; } else { differ++; }
        }

        Assert.True(differ > 0, "another seed should give other draws");
    }

    [Fact]
    public void Sample_TopKOne_AlwaysArgmax()
    {
        var logits = Logits();
        var argmax = Array.IndexOf(logits, logits.Max());
        var sampler = new Sampler(1.5f, 1f, 1, 77);

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(argmax, sampler.Sample(logits.ToArray()));
        }
    }

    [Fact]
    public void Sample_TopK_OnlyKMostLikelyTokens()
    {
        var logits = Logits();
        var allowed = logits.Select((v, i) => (v, i)).OrderByDescending(p => p.v).Take(5).Select(p => p.i).ToHashSet();
        var sampler = new Sampler(2f, 1f, 5, 3);

        for (var i = 0; i < 300; i++)
        {
            Assert.Contains(sampler.Sample(logits.ToArray()), allowed);
        }
    }

    [Fact]
    public void Sample_SmallTopP_OnlyTheNucleus()
    {
        var logits = new float[100];
        logits[7] = 10f;
        logits[8] = 9.5f;
        var sampler = new Sampler(1f, 0.5f, 0, 9);

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(7, sampler.Sample(logits.ToArray()));
        }
    }

    [Fact]
    public void NextUInt32_MatchesLlama2cXorshift()
    {
        // llama2.c: state ^= state >> 12; state ^= state << 25; state ^= state >> 27; (state * 0x2545F4914F6CDD1D) >> 32.
        ulong state = 42;
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        var expected = (uint)((state * 0x2545F4914F6CDD1DUL) >> 32);

        Assert.Equal(expected, new Sampler(1f, 1f, 0, 42).NextUInt32());
    }
}
