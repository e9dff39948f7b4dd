using Sluice.Engine.Inference;

namespace Sluice.Engine.Loading;

/// <summary>
/// Copies a model's F32 matrices, once at load, into the panel layout the outer-product kernels read
/// (<see cref="MatMulKernels.PackPanel"/>; opt-in, <c>Sluice:Engine:PackWeights</c>). The row-major originals stay
/// in the file mapping, where only the token embedding's rows are still read (one per token), so the packed copy
/// replaces the weights' pages in the page cache rather than adding to them. Quantized and F16 matrices are left
/// as they are (packing them would dequantize the whole model up front).
/// </summary>
internal static unsafe class WeightPacker
{
    /// <summary>
    /// <paramref name="weights"/> with every F32 matrix given packed panels, and the memory holding them (null when
    /// there was nothing to pack); on huge pages when <paramref name="hugePages"/> and the OS offers them.
    /// </summary>
    public static TransformerWeights Pack(TransformerWeights weights, bool hugePages, out PackedPanels? memory)
    {
        long floats = 0;
        foreach (var layer in weights.Layers)
        {
            floats += Size(layer.Wq) + Size(layer.Wk) + Size(layer.Wv) + Size(layer.Wo) + Size(layer.W1) + Size(layer.W2) + Size(layer.W3);
        }

        floats += Size(weights.Classifier);
        memory = null;
        if (floats == 0)
        {
            return weights;
        }

        var panels = PackedPanels.Allocate(floats, hugePages);
        memory = panels;
        var next = panels.Pointer;
        var layers = new LayerWeights[weights.Layers.Length];
        for (var l = 0; l < layers.Length; l++)
        {
            var w = weights.Layers[l];
            layers[l] = new LayerWeights
            {
                RmsAtt = w.RmsAtt,
                Wq = Pack(w.Wq, ref next),
                Wk = Pack(w.Wk, ref next),
                Wv = Pack(w.Wv, ref next),
                Wo = Pack(w.Wo, ref next),
                RmsFfn = w.RmsFfn,
                W1 = Pack(w.W1, ref next),
                W2 = Pack(w.W2, ref next),
                W3 = Pack(w.W3, ref next),
            };
        }

        return new TransformerWeights
        {
            TokenEmbedding = weights.TokenEmbedding,
            Layers = layers,
            RmsFinal = weights.RmsFinal,
            Classifier = Pack(weights.Classifier, ref next),
        };
    }

    private static long Size(in WeightTensor w) => w.Type == TensorType.F32 && w.Panels == null ? MatMulKernels.PackedFloats(w.Rows, w.Cols) : 0;

    private static WeightTensor Pack(in WeightTensor w, ref float* next)
    {
        if (Size(w) == 0)
        {
            return w;
        }

        var destination = next;
        next += MatMulKernels.PackedFloats(w.Rows, w.Cols);
        var source = (float*)w.Data;
        int rows = w.Rows, cols = w.Cols;

        // Panels are independent; packing them in parallel keeps a 110M load to a fraction of a second.
        Parallel.For(0, MatMulKernels.Panels(rows), p =>
        {
            var row0 = p * MatMulKernels.PanelRows;
            MatMulKernels.PackPanel(source + (long)row0 * cols, Math.Min(MatMulKernels.PanelRows, rows - row0), cols, destination + (long)row0 * cols);
        });
        return w.WithPanels(destination);
    }
}
