using Sluice.Grading.Integrity;
using Sluice.Grading.Text;

namespace Sluice.Grading.Training;

/// <summary>
/// Learns <see cref="SemanticModel"/> word vectors (LSA, as Foltz et al. 1998 used for coherence): positive PMI of the
/// most frequent content words over pairs sharing a sentence (sentences, not windows, so no order between sentences is
/// learned), then its top eigenvectors by seeded subspace iteration. Deterministic: fixed orders, a seeded start, no
/// parallel sums.
/// </summary>
internal sealed class WordVectorTrainer(int words, int dimensions, int seed)
{
    /// <summary>Subspace iterations; the leading eigenvalues of a PPMI matrix are well separated, so few suffice.</summary>
    private const int Iterations = 12;

    /// <summary>Extra directions iterated along with the kept ones, so the last kept ones converge too.</summary>
    private const int Oversampling = 8;

    public SemanticModel Train(IReadOnlyList<EssayDocument> docs)
    {
        var freq = new Dictionary<string, int>(StringComparer.Ordinal);
        var sentences = new List<int[]>();
        foreach (var doc in docs)
        {
            foreach (var set in SentenceWords(doc))
            {
                foreach (var w in set)
                {
                    freq[w] = freq.GetValueOrDefault(w) + 1;
                }
            }
        }

        var vocab = freq.Where(kv => kv.Value >= 5).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(words).Select(kv => kv.Key).ToArray();
        var index = vocab.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
        foreach (var doc in docs)
        {
            foreach (var set in SentenceWords(doc))
            {
                var ids = set.Where(index.ContainsKey).Select(w => index[w]).Order().ToArray();
                if (ids.Length > 0)
                {
                    sentences.Add(ids);
                }
            }
        }

        var v = vocab.Length;
        var counts = new double[v * v];
        var df = new double[v];
        foreach (var ids in sentences)
        {
            foreach (var a in ids)
            {
                df[a]++;
                foreach (var b in ids)
                {
                    if (a != b)
                    {
                        counts[(a * v) + b]++;
                    }
                }
            }
        }

        var rows = Ppmi(counts, v);
        var (vectors, _) = TopEigenvectors(rows, v, Math.Min(dimensions, v), new Random(seed));
        var d = Math.Min(dimensions, v);
        var levels = new sbyte[v * d];
        for (var i = 0; i < v; i++)
        {
            var max = 0.0;
            for (var j = 0; j < d; j++)
            {
                max = Math.Max(max, Math.Abs(vectors[(i * d) + j]));
            }

            for (var j = 0; j < d; j++)
            {
                levels[(i * d) + j] = max == 0 ? (sbyte)0 : (sbyte)Math.Clamp(Math.Round(7 * vectors[(i * d) + j] / max), -7, 7);
            }
        }

        var weights = df.Select(f => (byte)Math.Clamp(Math.Round(SemanticModel.WeightScale * Math.Log(sentences.Count / Math.Max(1, f))), 1, 255)).ToArray();
        return new SemanticModel { Words = vocab, Dimensions = d, Vectors = SemanticModel.Pack(levels), Weights = weights };
    }

    /// <summary>The distinct content words of each sentence.</summary>
    private static IEnumerable<HashSet<string>> SentenceWords(EssayDocument doc)
    {
        foreach (var sentence in doc.Sentences)
        {
            var set = new HashSet<string>(StringComparer.Ordinal);
            for (var k = sentence.FirstToken; k < sentence.FirstToken + sentence.TokenCount; k++)
            {
                if (SemanticModel.IsContent(doc, k))
                {
                    set.Add(doc.Lower[k]);
                }
            }

            yield return set;
        }
    }

    /// <summary>
    /// Positive PMI with the context counts raised to 0.75 (Levy et al. 2015: rare contexts otherwise get inflated PMI),
    /// as sparse rows (column, value) since most pairs never share a sentence.
    /// </summary>
    private static (int Col, double Value)[][] Ppmi(double[] counts, int v)
    {
        var rowSums = new double[v];
        var colSums = new double[v];
        for (var i = 0; i < v; i++)
        {
            for (var j = 0; j < v; j++)
            {
                rowSums[i] += counts[(i * v) + j];
            }
        }

        var total = rowSums.Sum();
        var smoothed = rowSums.Select(c => Math.Pow(c, 0.75)).ToArray();
        var smoothedTotal = smoothed.Sum();
        var rows = new (int, double)[v][];
        var row = new List<(int, double)>();
        for (var i = 0; i < v; i++)
        {
            row.Clear();
            for (var j = 0; j < v; j++)
            {
                var c = counts[(i * v) + j];
                if (c == 0 || rowSums[i] == 0)
                {
                    continue;
                }

                var pmi = Math.Log(c / total / (rowSums[i] / total * (smoothed[j] / smoothedTotal)));
                if (pmi > 0)
                {
                    row.Add((j, pmi));
                }
            }

            rows[i] = [.. row];
        }

        return rows;
    }

    /// <summary>
    /// The <paramref name="k"/> eigenvectors of the symmetric matrix with the largest eigenvalues (by magnitude), each
    /// scaled by the square root of its eigenvalue's magnitude: subspace iteration from a seeded random start, then
    /// Rayleigh–Ritz with a Jacobi eigensolver. Row-major v × k.
    /// </summary>
    internal static (double[] Vectors, double[] Values) TopEigenvectors((int Col, double Value)[][] rows, int v, int k, Random rng)
    {
        var m = Math.Min(v, k + Oversampling);
        var q = new double[v * m];
        for (var i = 0; i < q.Length; i++)
        {
            q[i] = rng.NextDouble() - 0.5;
        }

        Orthonormalize(q, v, m);
        for (var it = 0; it < Iterations; it++)
        {
            q = Multiply(rows, q, v, m);
            Orthonormalize(q, v, m);
        }

        // Rayleigh–Ritz: the eigenpairs of Qᵀ M Q give the best approximations within the subspace.
        var mq = Multiply(rows, q, v, m);
        var b = new double[m * m];
        for (var a = 0; a < m; a++)
        {
            for (var c = 0; c < m; c++)
            {
                var s = 0.0;
                for (var i = 0; i < v; i++)
                {
                    s += q[(i * m) + a] * mq[(i * m) + c];
                }

                b[(a * m) + c] = s;
            }
        }

        var (values, eig) = Jacobi(b, m);
        var order = Enumerable.Range(0, m).OrderByDescending(i => Math.Abs(values[i])).ThenBy(i => i).Take(k).ToArray();
        var result = new double[v * k];
        for (var i = 0; i < v; i++)
        {
            for (var j = 0; j < k; j++)
            {
                var s = 0.0;
                for (var a = 0; a < m; a++)
                {
                    s += q[(i * m) + a] * eig[(a * m) + order[j]];
                }

                result[(i * k) + j] = s * Math.Sqrt(Math.Abs(values[order[j]]));
            }
        }

        return (result, [.. order.Select(i => values[i])]);
    }

    private static double[] Multiply((int Col, double Value)[][] rows, double[] q, int v, int m)
    {
        var z = new double[v * m];
        for (var i = 0; i < v; i++)
        {
            var zi = z.AsSpan(i * m, m);
            foreach (var (j, value) in rows[i])
            {
                var qj = q.AsSpan(j * m, m);
                for (var a = 0; a < m; a++)
                {
                    zi[a] += value * qj[a];
                }
            }
        }

        return z;
    }

    /// <summary>Modified Gram–Schmidt on the columns of a row-major v × m matrix.</summary>
    private static void Orthonormalize(double[] q, int v, int m)
    {
        for (var a = 0; a < m; a++)
        {
            for (var c = 0; c < a; c++)
            {
                var dot = 0.0;
                for (var i = 0; i < v; i++)
                {
                    dot += q[(i * m) + a] * q[(i * m) + c];
                }

                for (var i = 0; i < v; i++)
                {
                    q[(i * m) + a] -= dot * q[(i * m) + c];
                }
            }

            var norm = 0.0;
            for (var i = 0; i < v; i++)
            {
                norm += q[(i * m) + a] * q[(i * m) + a];
            }

            norm = Math.Sqrt(norm);
            for (var i = 0; i < v; i++)
            {
                q[(i * m) + a] = norm == 0 ? 0 : q[(i * m) + a] / norm;
            }
        }
    }

    /// <summary>Cyclic Jacobi eigendecomposition of a small symmetric matrix: eigenvalues and eigenvectors (columns, row-major).</summary>
    private static (double[] Values, double[] Vectors) Jacobi(double[] a, int n)
    {
        a = (double[])a.Clone();
        var vectors = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            vectors[(i * n) + i] = 1;
        }

        for (var sweep = 0; sweep < 100; sweep++)
        {
            var off = 0.0;
            for (var p = 0; p < n; p++)
            {
                for (var r = p + 1; r < n; r++)
                {
                    off += a[(p * n) + r] * a[(p * n) + r];
                }
            }

            if (off < 1e-22)
            {
                break;
            }

            for (var p = 0; p < n; p++)
            {
                for (var r = p + 1; r < n; r++)
                {
                    var apr = a[(p * n) + r];
                    if (Math.Abs(apr) < 1e-300)
                    {
                        continue;
                    }

                    var theta = (a[(r * n) + r] - a[(p * n) + p]) / (2 * apr);
                    var t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
                    if (theta == 0)
                    {
                        t = 1;
                    }

                    var c = 1 / Math.Sqrt((t * t) + 1);
                    var s = t * c;
                    for (var i = 0; i < n; i++)
                    {
                        // Columns p and r of A, then rows p and r.
                        var aip = a[(i * n) + p];
                        var air = a[(i * n) + r];
                        a[(i * n) + p] = (c * aip) - (s * air);
                        a[(i * n) + r] = (s * aip) + (c * air);
                    }

                    for (var i = 0; i < n; i++)
                    {
                        var api = a[(p * n) + i];
                        var ari = a[(r * n) + i];
                        a[(p * n) + i] = (c * api) - (s * ari);
                        a[(r * n) + i] = (s * api) + (c * ari);
                    }

                    for (var i = 0; i < n; i++)
                    {
                        var vip = vectors[(i * n) + p];
                        var vir = vectors[(i * n) + r];
                        vectors[(i * n) + p] = (c * vip) - (s * vir);
                        vectors[(i * n) + r] = (s * vip) + (c * vir);
                    }
                }
            }
        }

        return ([.. Enumerable.Range(0, n).Select(i => a[(i * n) + i])], vectors);
    }
}
