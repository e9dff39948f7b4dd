using Sluice.Engine.Loading;

namespace Sluice.Engine.Tests.Loading;

public sealed class Q8BlockTests
{
    [Fact]
    public unsafe void QuantizeThenDequantize_RandomRow_WithinHalfAStep()
    {
        var random = new Random(3);
        var values = new float[96];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 4 - 2);
        }

        var bytes = new byte[3 * Q8Block.Bytes];
        var restored = new float[values.Length];
        Q8Block.QuantizeRow(values, bytes);
        fixed (byte* p = bytes)
        {
            Q8Block.DequantizeRow(p, restored);
        }

        for (var b = 0; b < 3; b++)
        {
            var block = values.AsSpan(b * 32, 32);
            var step = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(block) is var m ? MathF.Abs(m) / 127f : 0f;
            for (var i = 0; i < 32; i++)
            {
                // The scale is stored as float16, so allow its rounding on top of half a quantization step.
                Assert.InRange(restored[b * 32 + i] - block[i], -step * 0.51f - 2e-3f, step * 0.51f + 2e-3f);
            }
        }
    }
}
