using System.Buffers;
using System.Runtime.CompilerServices;
using Sluice.Engine.Inference;

namespace Sluice.Engine.Sampling;

/// <summary>
/// Picks the next token from logits, as llama2.c's sampler does: argmax at temperature 0, otherwise softmax of
/// logits / temperature then multinomial or nucleus (top-p) sampling, with top-k added in front. Each instance
/// owns its xorshift state, so a seeded request draws the same numbers whatever else shares the batch.
/// </summary>
internal sealed class Sampler
{
    /// <summary>
    /// Below this a temperature is greedy, its limit. Scaling logits by 1 / 1e-40 (a valid request, 0 to 100)
    /// overflowed to infinity and the softmax to NaN, so every draw fell through to the last token of the
    /// vocabulary; at 1e-20 logits up to 10^18 still scale to finite values.
    /// </summary>
    private const float MinTemperature = 1e-20f;

    private readonly float _temperature;
    private readonly float _topP;
    private readonly int _topK;
    private ulong _state;

    public Sampler(float temperature, float topP, int topK, ulong seed)
    {
        _temperature = temperature < MinTemperature ? 0f : temperature;
        _topP = topP;
        _topK = topK;
        // xorshift never leaves 0; map seed 0 to a fixed non-zero state so every seed is usable.
        _state = seed != 0 ? seed : 0x9E3779B97F4A7C15UL;
    }

    /// <summary>llama2.c's <c>random_u32</c>: xorshift64* returning the high 32 bits.</summary>
    public uint NextUInt32()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return (uint)((_state * 0x2545F4914F6CDD1DUL) >> 32);
    }

    /// <summary>llama2.c's <c>random_f32</c>: uniform in [0, 1).</summary>
    public float NextSingle() => (NextUInt32() >> 8) / 16777216.0f;

    /// <summary>Samples a token; <paramref name="logits"/> is overwritten (scaled and turned into probabilities).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Sample(Span<float> logits)
    {
        if (_temperature == 0f)
        {
            return Argmax(logits);
        }

        // Vectorized: at 32,000 tokens scalar loops (one expf per token) took about 0.25 ms per sequence and step.
        // Each draw is still a pure function of the logits and the seed, so batching cannot change it.
        if ((_topK <= 0 || _topK >= logits.Length) && (_topP <= 0f || _topP >= 1f))
        {
            // Plain multinomial: no need to normalize, scale the coin by the total instead.
            var total = VectorMath.ExpShifted(logits, 1f / _temperature);
            return SampleMult(logits, NextSingle() * total);
        }

        VectorMath.Divide(logits, _temperature);
        if (_topK > 0 && _topK < logits.Length)
        {
            KeepTopK(logits, _topK);
        }

        VectorMath.Softmax(logits);
        var coin = NextSingle();
        return _topP <= 0f || _topP >= 1f ? SampleMult(logits, coin) : SampleTopP(logits, _topP, coin);
    }

    /// <summary>Index of the largest value; the first one on ties, as llama2.c (see <see cref="VectorMath.Argmax"/>).</summary>
    public static int Argmax(ReadOnlySpan<float> values) => VectorMath.Argmax(values);

    /// <summary>
    /// The first index where the running sum of <paramref name="weights"/> exceeds <paramref name="target"/>. Whole
    /// blocks of 64 are skipped by their vector sum, so a draw reads the vocabulary once instead of adding it up
    /// one token at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SampleMult(ReadOnlySpan<float> weights, float target)
    {
        var cdf = 0f;
        var i = 0;
        for (; i + 64 <= weights.Length; i += 64)
        {
            var block = VectorMath.Sum(weights.Slice(i, 64));
            if (target < cdf + block)
            {
                break;
            }

            cdf += block;
        }

        for (; i < weights.Length; i++)
        {
            cdf += weights[i];
            if (target < cdf)
            {
                return i;
            }
        }

        return weights.Length - 1; // rounding errors
    }

    /// <summary>Sets every logit below the k-th largest to -inf (ties with the k-th are kept).</summary>
    private static void KeepTopK(Span<float> logits, int k)
    {
        var copy = ArrayPool<float>.Shared.Rent(logits.Length);
        try
        {
            var sorted = copy.AsSpan(0, logits.Length);
            logits.CopyTo(sorted);
            sorted.Sort();
            var threshold = sorted[logits.Length - k];
            for (var i = 0; i < logits.Length; i++)
            {
                if (logits[i] < threshold)
                {
                    logits[i] = float.NegativeInfinity;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(copy);
        }
    }

    /// <summary>
    /// Nucleus sampling as llama2.c's <c>sample_topp</c>: drop tokens below (1 - p) / (n - 1), sort the rest by
    /// probability (descending, ties by index for determinism), keep the smallest prefix with mass above p.
    /// </summary>
    private static int SampleTopP(ReadOnlySpan<float> probabilities, float topP, float coin)
    {
        var n = probabilities.Length;
        var cutoff = (1f - topP) / (n - 1);
        var indices = ArrayPool<int>.Shared.Rent(n);
        var probs = ArrayPool<float>.Shared.Rent(n);
        try
        {
            var count = 0;
            for (var i = 0; i < n; i++)
            {
                if (probabilities[i] >= cutoff)
                {
                    indices[count] = i;
                    probs[count] = -probabilities[i]; // negated so an ascending sort gives descending probability
                    count++;
                }
            }

            if (count == 0)
            {
                return Argmax(probabilities);
            }

            // Sorting (key, index) pairs keeps equal probabilities in index order, so the draw is reproducible.
            Array.Sort(probs, indices, 0, count);
            StableTies(probs, indices, count);
            var cumulative = 0f;
            var last = count - 1;
            for (var i = 0; i < count; i++)
            {
                cumulative -= probs[i];
                if (cumulative > topP)
                {
                    last = i;
                    break;
                }
            }

            var r = coin * cumulative;
            var cdf = 0f;
            for (var i = 0; i <= last; i++)
            {
                cdf -= probs[i];
                if (r < cdf)
                {
                    return indices[i];
                }
            }

            return indices[last];
        }
        finally
        {
            ArrayPool<int>.Shared.Return(indices);
            ArrayPool<float>.Shared.Return(probs);
        }
    }

    /// <summary>Array.Sort is unstable; order runs of equal keys by token id.</summary>
    private static void StableTies(float[] keys, int[] indices, int count)
    {
        var start = 0;
        for (var i = 1; i <= count; i++)
        {
            if (i == count || keys[i] != keys[start])
            {
                if (i - start > 1)
                {
                    Array.Sort(indices, start, i - start);
                }

                start = i;
            }
        }
    }
}
