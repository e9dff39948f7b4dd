namespace Sluice.Classification.Text;

/// <summary>A text's features: bucket indices and their (unit-length) values, in ascending bucket order.</summary>
internal sealed record SparseVector(int[] Indices, float[] Values)
{
    /// <summary>The features of <paramref name="text"/> as a vector (training precomputes them once per example).</summary>
    public static SparseVector Of(string text, int bits)
    {
        var counts = new Dictionary<int, float>();
        TextFeatures.Extract(text, bits, counts, []);
        return From(counts);
    }

    /// <summary>The vector of features extracted into <paramref name="counts"/> (bucket → value).</summary>
    public static SparseVector From(Dictionary<int, float> counts)
    {
        var indices = new int[counts.Count];
        var values = new float[counts.Count];
        var n = 0;
        foreach (var (k, v) in counts)
        {
            indices[n] = k;
            values[n] = v;
            n++;
        }

        // Sorted, so summation order (and so every float) is the same whatever the dictionary's order.
        Array.Sort(indices, values);
        return new SparseVector(indices, values);
    }
}
