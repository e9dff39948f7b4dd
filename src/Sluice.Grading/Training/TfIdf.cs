namespace Sluice.Grading.Training;

/// <summary>Sublinear tf-idf rows restricted to a vocabulary, L2-normalised.</summary>
internal static class TfIdf
{
    public static SparseVector Row(Dictionary<string, int> counts, Dictionary<string, int> vocab, float[] idf)
    {
        var idx = new List<int>(counts.Count);
        foreach (var (term, _) in counts)
        {
            if (vocab.TryGetValue(term, out var i))
            {
                idx.Add(i);
            }
        }

        idx.Sort();
        var indices = idx.ToArray();
        var values = new float[indices.Length];
        double norm = 0;
        // Look the counts up again by vocabulary index order; terms are few per essay.
        var byIndex = new Dictionary<int, int>(indices.Length);
        foreach (var (term, c) in counts)
        {
            if (vocab.TryGetValue(term, out var i))
            {
                byIndex[i] = c;
            }
        }

        for (var t = 0; t < indices.Length; t++)
        {
            var v = (1 + Math.Log(byIndex[indices[t]])) * idf[indices[t]];
            values[t] = (float)v;
            norm += v * v;
        }

        if (norm > 0)
        {
            var inv = 1 / Math.Sqrt(norm);
            for (var t = 0; t < values.Length; t++)
            {
                values[t] = (float)(values[t] * inv);
            }
        }

        return new SparseVector(indices, values);
    }
}
