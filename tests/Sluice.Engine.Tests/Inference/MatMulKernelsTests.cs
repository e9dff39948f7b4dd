using System.Runtime.InteropServices;
using Sluice.Engine.Cli;
using Sluice.Engine.Inference;
using Sluice.Engine.Loading;
using Sluice.Testing;

namespace Sluice.Engine.Tests.Inference;

public sealed unsafe class MatMulKernelsTests
{
    [Fact]
    public void PackPanel_PartialPanel_KMajorWithZeroPadding()
    {
        const int rows = 5, cols = 11;
        var src = new float[rows * cols];
        for (var i = 0; i < src.Length; i++)
        {
            src[i] = i + 1;
        }

        var panel = new float[MatMulKernels.PanelRows * cols];
        panel.AsSpan().Fill(float.NaN);
        fixed (float* s = src, p = panel)
        {
            MatMulKernels.PackPanel(s, rows, cols, p);
        }

        for (var k = 0; k < cols; k++)
        {
            for (var j = 0; j < MatMulKernels.PanelRows; j++)
            {
                Assert.Equal(j < rows ? src[j * cols + k] : 0f, panel[k * MatMulKernels.PanelRows + j]);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(45)]
    public void Rows_PackedWeights_EachOutputIsOneFmaChainOverK(int batch)
    {
        // 40 rows: two full panels and a partial one; 37 columns: no multiple of 8 anywhere.
        const int rows = 40, cols = 37;
        var rng = new Random(batch);
        var w = new float[rows * cols];
        var x = new float[batch * cols];
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = (float)(rng.NextDouble() * 2 - 1);
        }

        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)(rng.NextDouble() * 2 - 1);
        }

        var packed = (float*)NativeMemory.AlignedAlloc((nuint)(MatMulKernels.PackedFloats(rows, cols) * sizeof(float)), 64);
        try
        {
            var y = new float[batch * rows];
            fixed (float* pw = w, px = x, py = y)
            {
                for (var r = 0; r < rows; r += MatMulKernels.PanelRows)
                {
                    MatMulKernels.PackPanel(pw + r * cols, Math.Min(MatMulKernels.PanelRows, rows - r), cols, packed + r * cols);
                }

                var tensor = new WeightTensor("w", (byte*)pw, rows, cols, TensorType.F32, packed);
                MatMulKernels.Rows(tensor, px, batch, py, rows, 0, rows, null);
            }

            for (var b = 0; b < batch; b++)
            {
                for (var r = 0; r < rows; r++)
                {
                    var expected = 0f;
                    for (var k = 0; k < cols; k++)
                    {
                        expected = MathF.FusedMultiplyAdd(w[r * cols + k], x[b * cols + k], expected);
                    }

                    Assert.Equal(expected, y[b * rows + r]);
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(packed);
        }
    }

    [SharedDataFact(TestModels.Bin, TestModels.Tokenizer)]
    public void Load_PackedWeights_GreedyTokensMatchTheGoldenFile()
    {
        using var model = TestModels.LoadBin(packWeights: true);
        var runner = new GenerateRunner(model, 2);

        Assert.True(model.Packed);
        Assert.True(model.Weights.Classifier.Panels != null);
        Assert.True(model.Weights.TokenEmbedding.Panels == null);
        foreach (var golden in TestModels.ReadGolden())
        {
            Assert.Equal(golden.Tokens, runner.Run(golden.Prompt, 0f, 0.9f, golden.Steps, 1, true, new StringWriter(), new StringWriter()));
        }
    }
}
