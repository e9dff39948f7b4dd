using System.Buffers.Binary;
using Sluice.Engine.Tokenization;

namespace Sluice.Engine.Loading;

/// <summary>
/// Reads llama2.c legacy checkpoints: a 7-int32 <c>Config</c> header (a negative vocab_size means an unshared
/// classifier follows the weights) then float32 weights in <c>memory_map_weights</c> order.
/// </summary>
internal static unsafe class LlamaCheckpointReader
{
    /// <summary>Bytes in the legacy header.</summary>
    public const int HeaderBytes = 7 * sizeof(int);

    /// <summary>Magic of llama2.c's newer export formats ("ak42"), which this engine does not read.</summary>
    private const uint ExportMagic = 0x616b3432;

    /// <summary>Reads and checks the header; null with a reason when the file is not a runnable llama2.c checkpoint.</summary>
    public static ModelConfig? TryReadHeader(ReadOnlySpan<byte> header, long fileLength, out string problem)
    {
        if (header.Length < HeaderBytes)
        {
            problem = $"expected a {HeaderBytes}-byte llama2.c Config header (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len) but the file has {fileLength} bytes";
            return null;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(header) == ExportMagic)
        {
            problem = "llama2.c export format version 1/2 (magic \"ak42\") is not supported; export with the legacy format (version 0) or convert to GGUF";
            return null;
        }

        Span<int> h = stackalloc int[7];
        for (var i = 0; i < 7; i++)
        {
            h[i] = BinaryPrimitives.ReadInt32LittleEndian(header[(i * 4)..]);
        }

        var config = new ModelConfig
        {
            Dim = h[0],
            HiddenDim = h[1],
            Layers = h[2],
            Heads = h[3],
            KvHeads = h[4],
            VocabSize = h[5] == int.MinValue ? 0 : Math.Abs(h[5]),
            SeqLen = h[6],
            SharedClassifier = h[5] > 0,
        };
        problem = config.Validate() is { } invalid ? "llama2.c Config header is invalid: " + invalid : "";
        if (problem.Length > 0)
        {
            return null;
        }

        var expected = ExpectedFileBytes(config);
        if (fileLength < expected)
        {
            problem = $"truncated: the header ({config}) needs a {expected}-byte file (header and weights) but the file has {fileLength} bytes";
            return null;
        }

        return config;
    }

    /// <summary>Exact size of a legacy checkpoint with this configuration.</summary>
    public static long ExpectedFileBytes(ModelConfig c)
    {
        long hs = c.HeadSize;
        long floats = (long)c.VocabSize * c.Dim
            + (long)c.Layers * c.Dim
            + (long)c.Layers * c.Dim * (c.Heads * hs)
            + 2L * c.Layers * c.Dim * (c.KvHeads * hs)
            + (long)c.Layers * (c.Heads * hs) * c.Dim
            + (long)c.Layers * c.Dim
            + 3L * c.Layers * c.Dim * c.HiddenDim
            + c.Dim
            + (long)c.SeqLen * hs // freq_cis_real and freq_cis_imag, unused (RoPE is computed)
            + (c.SharedClassifier ? 0 : (long)c.VocabSize * c.Dim);
        return HeaderBytes + floats * sizeof(float);
    }

    public static LoadedModel Load(string path, string tokenizerPath, bool hugePages = false, bool packWeights = false)
    {
        // Packed, every matrix is copied into panels (on huge pages when asked) and the mapping is left with the
        // embedding rows and the norms, so the file itself is not copied.
        var file = MappedFile.Open(path, hugePages && !packWeights);
        try
        {
            var config = TryReadHeader(new ReadOnlySpan<byte>(file.Pointer, (int)Math.Min(file.Length, HeaderBytes)), file.Length, out var problem)
                ?? throw new ModelFormatException(file.Path, 0, problem);
            var tokenizer = TokenizerReader.Load(tokenizerPath);
            if (tokenizer.VocabSize != config.VocabSize)
            {
                throw new ModelFormatException(tokenizerPath, 0, $"the tokenizer has {tokenizer.VocabSize} tokens but the checkpoint {file.Path} expects vocab_size {config.VocabSize}");
            }

            var tensors = new List<TensorDescription>();
            long offset = HeaderBytes;
            int hs = config.HeadSize, dim = config.Dim, layers = config.Layers, hidden = config.HiddenDim;

            WeightTensor Matrix(string name, int rows, int cols)
            {
                var t = new WeightTensor(name, file.Pointer + offset, rows, cols, TensorType.F32);
                tensors.Add(new TensorDescription(name, [cols, rows], TensorType.F32, offset));
                offset += (long)rows * cols * sizeof(float);
                return t;
            }

            float[] Vector(string name, int n)
            {
                var v = new ReadOnlySpan<float>(file.Pointer + offset, n).ToArray();
                tensors.Add(new TensorDescription(name, [n], TensorType.F32, offset));
                offset += (long)n * sizeof(float);
                return v;
            }

            var embedding = Matrix("token_embedding_table", config.VocabSize, dim);
            var rmsAtt = new float[layers][];
            var wq = new WeightTensor[layers];
            var wk = new WeightTensor[layers];
            var wv = new WeightTensor[layers];
            var wo = new WeightTensor[layers];
            var rmsFfn = new float[layers][];
            var w1 = new WeightTensor[layers];
            var w2 = new WeightTensor[layers];
            var w3 = new WeightTensor[layers];
            // The file stores each kind of weight for all layers together, so read kind by kind.
            for (var l = 0; l < layers; l++) { rmsAtt[l] = Vector($"rms_att_weight[{l}]", dim); }
            for (var l = 0; l < layers; l++) { wq[l] = Matrix($"wq[{l}]", config.Heads * hs, dim); }
            for (var l = 0; l < layers; l++) { wk[l] = Matrix($"wk[{l}]", config.KvHeads * hs, dim); }
            for (var l = 0; l < layers; l++) { wv[l] = Matrix($"wv[{l}]", config.KvHeads * hs, dim); }
            for (var l = 0; l < layers; l++) { wo[l] = Matrix($"wo[{l}]", dim, config.Heads * hs); }
            for (var l = 0; l < layers; l++) { rmsFfn[l] = Vector($"rms_ffn_weight[{l}]", dim); }
            for (var l = 0; l < layers; l++) { w1[l] = Matrix($"w1[{l}]", hidden, dim); }
            for (var l = 0; l < layers; l++) { w2[l] = Matrix($"w2[{l}]", dim, hidden); }
            for (var l = 0; l < layers; l++) { w3[l] = Matrix($"w3[{l}]", hidden, dim); }
            var rmsFinal = Vector("rms_final_weight", dim);
            offset += (long)config.SeqLen * hs / 2 * sizeof(float) * 2; // skip the legacy freq_cis_real / freq_cis_imag tables
            var classifier = config.SharedClassifier ? embedding : Matrix("wcls", config.VocabSize, dim);

            var layerWeights = new LayerWeights[layers];
            for (var l = 0; l < layers; l++)
            {
                layerWeights[l] = new LayerWeights
                {
                    RmsAtt = rmsAtt[l], Wq = wq[l], Wk = wk[l], Wv = wv[l], Wo = wo[l],
                    RmsFfn = rmsFfn[l], W1 = w1[l], W2 = w2[l], W3 = w3[l],
                };
            }

            var weights = new TransformerWeights { TokenEmbedding = embedding, Layers = layerWeights, RmsFinal = rmsFinal, Classifier = classifier };
            var panels = default(PackedPanels);
            if (packWeights)
            {
                weights = WeightPacker.Pack(weights, hugePages, out panels);
            }

            return new LoadedModel(file.Path, "llama2.c", config, weights, tokenizer, file, tensors, panels);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
