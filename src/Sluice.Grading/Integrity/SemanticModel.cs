using Sluice.Grading.Text;

namespace Sluice.Grading.Integrity;

/// <summary>
/// Small word vectors (LSA: truncated SVD of positive PMI of words sharing a sentence, learned from the training essays)
/// so that sentences about the same thing in different words ("dog" … "puppy", "bike" … "pedal") look related: the
/// bag-of-words order models only see a word shared verbatim. A sentence's vector is the idf-weighted sum of its content
/// words' unit vectors. Stored compactly (the vectors are most of the model file's growth): four bits per dimension,
/// scaled per word (only the direction matters), and one byte per word for its weight.
/// </summary>
internal sealed record SemanticModel
{
    /// <summary>Scale of the stored idf weights (byte = idf × this).</summary>
    public const double WeightScale = 20;

    /// <summary>Content words (lower case), most frequent first.</summary>
    public required string[] Words { get; init; }

    public required int Dimensions { get; init; }

    /// <summary>
    /// Each word's vector direction in <see cref="Dimensions"/> signed 4-bit levels (−7 … 7, scaled so its largest
    /// component is ±7), two per byte (even dimension in the low half), words in order.
    /// </summary>
    public required byte[] Vectors { get; init; }

    /// <summary>Each word's idf over training sentences × <see cref="WeightScale"/>.</summary>
    public required byte[] Weights { get; init; }

    private Dictionary<string, int> Index => _index ??= Words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);

    /// <summary>Each word's unit vector × its idf weight, decoded once.</summary>
    private float[] Decoded => _decoded ??= Decode();

    private Dictionary<string, int>? _index;
    private float[]? _decoded;

    /// <summary>Packs levels (−7 … 7) two per byte, as <see cref="Vectors"/> stores them.</summary>
    public static byte[] Pack(sbyte[] levels)
    {
        var packed = new byte[(levels.Length + 1) / 2];
        for (var i = 0; i < levels.Length; i++)
        {
            packed[i / 2] |= (byte)((levels[i] & 0xF) << (i % 2 * 4));
        }

        return packed;
    }

    /// <summary>The level of dimension <paramref name="i"/> (in words × dimensions order) of packed vectors.</summary>
    public static int Level(byte[] packed, int i)
    {
        var nibble = (packed[i / 2] >> (i % 2 * 4)) & 0xF;
        return nibble >= 8 ? nibble - 16 : nibble;
    }

    /// <summary>The cosine of two words' vectors, or null when either has none (for tests and inspection).</summary>
    public double? WordCosine(string a, string b)
    {
        if (!Index.TryGetValue(a, out var i) || !Index.TryGetValue(b, out var j))
        {
            return null;
        }

        var d = Dimensions;
        return Cosine(Decoded.AsSpan(i * d, d).ToArray(), Decoded.AsSpan(j * d, d).ToArray());
    }

    private float[] Decode()
    {
        var d = Dimensions;
        var result = new float[Words.Length * d];
        for (var w = 0; w < Words.Length; w++)
        {
            var norm = 0.0;
            for (var j = 0; j < d; j++)
            {
                var level = Level(Vectors, (w * d) + j);
                result[(w * d) + j] = level;
                norm += level * level;
            }

            var scale = norm == 0 ? 0 : (float)(Weights[w] / WeightScale / Math.Sqrt(norm));
            for (var j = 0; j < d; j++)
            {
                result[(w * d) + j] *= scale;
            }
        }

        return result;
    }

    /// <summary>Whether the token at <paramref name="k"/> is a content word the vectors may cover (the same test training uses).</summary>
    public static bool IsContent(EssayDocument doc, int k)
    {
        var w = doc.Lower[k];
        return doc.Tokens[k].Kind == TokenKind.Word && w.Length >= 3 && !WordLists.FunctionWords.Contains(w);
    }

    /// <summary>Vectors of the first <paramref name="sentences"/> sentences (all zero for a sentence without a known word).</summary>
    public float[][] SentenceVectors(EssayDocument doc, int sentences)
    {
        var result = new float[sentences][];
        var d = Dimensions;
        var decoded = Decoded;
        for (var s = 0; s < sentences; s++)
        {
            var v = new float[d];
            var sentence = doc.Sentences[s];
            for (var k = sentence.FirstToken; k < sentence.FirstToken + sentence.TokenCount; k++)
            {
                if (!IsContent(doc, k) || !Index.TryGetValue(doc.Lower[k], out var i))
                {
                    continue;
                }

                var row = i * d;
                for (var j = 0; j < d; j++)
                {
                    v[j] += decoded[row + j];
                }
            }

            result[s] = v;
        }

        return result;
    }

    /// <summary>Cosine of two vectors (0 when either is zero).</summary>
    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var j = 0; j < a.Length; j++)
        {
            dot += a[j] * b[j];
            na += a[j] * a[j];
            nb += b[j] * b[j];
        }

        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
