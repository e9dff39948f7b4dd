using System.Globalization;
using System.Text;
using Sluice.Engine.Tokenization;

namespace Sluice.Engine.Loading;

/// <summary>
/// Builds a runnable model from a GGUF file of architecture <c>llama</c>: hyper-parameters from metadata, weights
/// as views into the mapping (F32, F16 or Q8_0, never dequantized up front) and the embedded vocabulary.
/// </summary>
internal static unsafe class GgufLoader
{
    public static LoadedModel Load(string path, bool hugePages = false, bool packWeights = false)
    {
        var file = MappedFile.Open(path);
        try
        {
            var gguf = GgufFile.Read(file);

            // Packed F32 matrices are copied into panels (on huge pages when asked); anything read in place moves
            // onto huge pages with the whole file, before any pointer into it is taken.
            if (hugePages && (!packWeights || gguf.Tensors.Exists(t => t.Shape.Length == 2 && t.Type != TensorType.F32)))
            {
                file.MoveToHugePages();
            }

            var arch = Text(gguf, file, "general.architecture");
            if (arch != "llama")
            {
                throw new ModelFormatException(file.Path, 0, $"unsupported architecture \"{arch}\" (this engine runs \"llama\")");
            }

            var tokenizer = ReadTokenizer(gguf, file);
            var heads = Int(gguf, file, "llama.attention.head_count");
            var config = new ModelConfig
            {
                Dim = Int(gguf, file, "llama.embedding_length"),
                HiddenDim = Int(gguf, file, "llama.feed_forward_length"),
                Layers = Int(gguf, file, "llama.block_count"),
                Heads = heads,
                KvHeads = gguf.Metadata.ContainsKey("llama.attention.head_count_kv") ? Int(gguf, file, "llama.attention.head_count_kv") : heads,
                VocabSize = tokenizer.VocabSize,
                SeqLen = Int(gguf, file, "llama.context_length"),
                NormEps = gguf.Metadata.ContainsKey("llama.attention.layer_norm_rms_epsilon") ? (float)Real(gguf, file, "llama.attention.layer_norm_rms_epsilon") : 1e-5f,
                RopeTheta = gguf.Metadata.ContainsKey("llama.rope.freq_base") ? (float)Real(gguf, file, "llama.rope.freq_base") : 10000f,
                SharedClassifier = !gguf.Tensors.Exists(t => t.Name == "output.weight"),
            };
            if (config.Validate() is { } invalid)
            {
                throw new ModelFormatException(file.Path, 0, "invalid llama hyper-parameters: " + invalid);
            }

            if (gguf.Metadata.ContainsKey("llama.rope.dimension_count") && Int(gguf, file, "llama.rope.dimension_count") != config.HeadSize)
            {
                throw new ModelFormatException(file.Path, 0, $"unsupported partial RoPE: rope.dimension_count {Int(gguf, file, "llama.rope.dimension_count")} differs from head size {config.HeadSize}");
            }

            var byName = new Dictionary<string, TensorDescription>(StringComparer.Ordinal);
            foreach (var t in gguf.Tensors)
            {
                byName[t.Name] = t;
            }

            WeightTensor Matrix(string name, int rows, int cols)
            {
                var t = Find(byName, file, name);
                if (t.Shape.Length != 2 || t.Shape[0] != cols || t.Shape[1] != rows)
                {
                    throw new ModelFormatException(file.Path, t.Offset, $"tensor {name}: expected shape [{cols}, {rows}] but found [{string.Join(", ", t.Shape)}]");
                }

                if (t.Type == TensorType.Q8_0 && cols % Q8Block.Size != 0)
                {
                    throw new ModelFormatException(file.Path, t.Offset, $"tensor {name}: Q8_0 needs rows that are a multiple of {Q8Block.Size}, found {cols}");
                }

                return new WeightTensor(name, file.Pointer + t.Offset, rows, cols, t.Type);
            }

            float[] Vector(string name, int n)
            {
                var t = Find(byName, file, name);
                if (t.Elements != n)
                {
                    throw new ModelFormatException(file.Path, t.Offset, $"tensor {name}: expected {n} values but found {t.Elements}");
                }

                // Norm gains are tiny; a float copy keeps the kernels simple whatever the stored type.
                var values = new float[n];
                new WeightTensor(name, file.Pointer + t.Offset, 1, n, t.Type).DequantizeRow(0, values);
                return values;
            }

            int dim = config.Dim, hs = config.HeadSize;
            var embedding = Matrix("token_embd.weight", config.VocabSize, dim);
            var layers = new LayerWeights[config.Layers];
            for (var l = 0; l < config.Layers; l++)
            {
                var p = $"blk.{l}.";
                layers[l] = new LayerWeights
                {
                    RmsAtt = Vector(p + "attn_norm.weight", dim),
                    Wq = Matrix(p + "attn_q.weight", config.Heads * hs, dim),
                    Wk = Matrix(p + "attn_k.weight", config.KvHeads * hs, dim),
                    Wv = Matrix(p + "attn_v.weight", config.KvHeads * hs, dim),
                    Wo = Matrix(p + "attn_output.weight", dim, config.Heads * hs),
                    RmsFfn = Vector(p + "ffn_norm.weight", dim),
                    W1 = Matrix(p + "ffn_gate.weight", config.HiddenDim, dim),
                    W2 = Matrix(p + "ffn_down.weight", dim, config.HiddenDim),
                    W3 = Matrix(p + "ffn_up.weight", config.HiddenDim, dim),
                };
            }

            var weights = new TransformerWeights
            {
                TokenEmbedding = embedding,
                Layers = layers,
                RmsFinal = Vector("output_norm.weight", dim),
                Classifier = config.SharedClassifier ? embedding : Matrix("output.weight", config.VocabSize, dim),
            };
            var types = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var t in gguf.Tensors)
            {
                if (t.Shape.Length == 2)
                {
                    types.Add(t.Type.ToString().ToLowerInvariant());
                }
            }

            var panels = default(PackedPanels);
            if (packWeights)
            {
                weights = WeightPacker.Pack(weights, hugePages, out panels);
            }

            return new LoadedModel(file.Path, $"gguf v{gguf.Version} ({string.Join('/', types)})", config, weights, tokenizer, file, gguf.Tensors, panels);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static Tokenizer ReadTokenizer(GgufFile gguf, MappedFile file)
    {
        if (gguf.Metadata.TryGetValue("tokenizer.ggml.model", out var model) && model is string m && m != "llama")
        {
            throw new ModelFormatException(file.Path, 0, $"unsupported tokenizer model \"{m}\" (this engine reads the SentencePiece \"llama\" vocabulary)");
        }

        if (!gguf.Metadata.TryGetValue("tokenizer.ggml.tokens", out var tokensValue) || tokensValue is not object[] tokens || tokens.Length < 3)
        {
            throw new ModelFormatException(file.Path, 0, "missing the embedded vocabulary tokenizer.ggml.tokens (an array of at least 3 strings)");
        }

        var scores = gguf.Metadata.GetValueOrDefault("tokenizer.ggml.scores") as object[];
        var types = gguf.Metadata.GetValueOrDefault("tokenizer.ggml.token_type") as object[];
        if ((scores is not null && scores.Length != tokens.Length) || (types is not null && types.Length != tokens.Length))
        {
            throw new ModelFormatException(file.Path, 0, $"tokenizer.ggml.scores/token_type lengths differ from the {tokens.Length} tokens");
        }

        foreach (var (key, expected) in new[] { ("tokenizer.ggml.bos_token_id", Tokenizer.Bos), ("tokenizer.ggml.eos_token_id", Tokenizer.Eos) })
        {
            if (gguf.Metadata.TryGetValue(key, out var id) && (id is not (long or ulong) || Convert.ToDecimal(id, CultureInfo.InvariantCulture) != expected))
            {
                throw new ModelFormatException(file.Path, gguf.MetadataOffsets[key], $"unsupported {key} {GgufFile.Describe(id)} (llama vocabularies use {expected})");
            }
        }

        var pieces = new byte[tokens.Length][];
        var scoreValues = new float[tokens.Length];
        var kinds = new TokenKind[tokens.Length];
        var maxLength = 1;
        for (var i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] is not string text)
            {
                throw new ModelFormatException(file.Path, 0, $"tokenizer.ggml.tokens[{i}] is not a string");
            }

            // SentencePiece writes spaces as U+2581; llama2.c vocabularies use plain spaces.
            pieces[i] = Encoding.UTF8.GetBytes(text.Replace('\u2581', ' '));
            maxLength = Math.Max(maxLength, pieces[i].Length);
            // Element types checked here: Convert failed a string element with a bare FormatException naming nothing.
            if (scores is not null)
            {
                scoreValues[i] = scores[i] is long or ulong or double
                    ? (float)Convert.ToDouble(scores[i], CultureInfo.InvariantCulture)
                    : throw new ModelFormatException(file.Path, gguf.MetadataOffsets["tokenizer.ggml.scores"], $"tokenizer.ggml.scores[{i}] is {GgufFile.Describe(scores[i])}, not a number");
            }

            if (types is not null)
            {
                kinds[i] = types[i] switch
                {
                    long kind when kind is >= int.MinValue and <= int.MaxValue => (TokenKind)kind,
                    ulong kind when kind <= int.MaxValue => (TokenKind)kind,
                    _ => throw new ModelFormatException(file.Path, gguf.MetadataOffsets["tokenizer.ggml.token_type"], $"tokenizer.ggml.token_type[{i}] is {GgufFile.Describe(types[i])}, not a 32-bit integer"),
                };
            }
        }

        return new Tokenizer(pieces, scoreValues, kinds, maxLength);
    }

    private static TensorDescription Find(Dictionary<string, TensorDescription> byName, MappedFile file, string name) =>
        byName.TryGetValue(name, out var t) ? t : throw new ModelFormatException(file.Path, 0, $"missing tensor {name}");

    private static string Text(GgufFile gguf, MappedFile file, string key) =>
        gguf.Metadata.TryGetValue(key, out var v) && v is string s ? s : throw new ModelFormatException(file.Path, 0, $"missing string metadata {key}");

    private static int Int(GgufFile gguf, MappedFile file, string key)
    {
        if (!gguf.Metadata.TryGetValue(key, out var v))
        {
            throw new ModelFormatException(file.Path, 0, $"missing integer metadata {key}");
        }

        // A UInt64 past long.MaxValue failed Convert.ToInt64 with a bare OverflowException.
        return v switch
        {
            long l when l is >= 0 and <= int.MaxValue => (int)l,
            ulong u when u <= int.MaxValue => (int)u,
            long or ulong => throw new ModelFormatException(file.Path, gguf.MetadataOffsets[key], $"{key} = {GgufFile.Describe(v)} is out of range (0 to {int.MaxValue})"),
            _ => throw new ModelFormatException(file.Path, gguf.MetadataOffsets[key], $"{key} is {GgufFile.Describe(v)}, not an integer"),
        };
    }

    /// <summary>A number-valued key; a string, bool or array gave Convert's bare FormatException or InvalidCastException.</summary>
    private static double Real(GgufFile gguf, MappedFile file, string key)
    {
        var v = gguf.Metadata[key];
        return v is long or ulong or double
            ? Convert.ToDouble(v, CultureInfo.InvariantCulture)
            : throw new ModelFormatException(file.Path, gguf.MetadataOffsets[key], $"{key} is {GgufFile.Describe(v)}, not a number");
    }
}
