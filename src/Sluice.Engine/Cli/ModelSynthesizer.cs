using System.Text;
using Sluice.Engine.Loading;
using Sluice.Engine.Tokenization;

namespace Sluice.Engine.Cli;

/// <summary>
/// Writes checkpoints with random weights at real shapes (for speed work: real checkpoints of these sizes are
/// not available offline), as llama2.c legacy files or GGUF, and converts a loaded model to GGUF.
/// Random values are a pure function of (seed, tensor, row), so a shape written twice is identical.
/// </summary>
internal static class ModelSynthesizer
{
    /// <summary>Reference shapes of shared/README.md (llama2.c's TinyStories models), unshared classifier.</summary>
    public static ModelConfig Shape(string name) =>
        TryShape(name, out var config) ? config : throw new ArgumentException($"unknown shape \"{name}\" (expected 15M, 42M or 110M)", nameof(name));

    /// <summary>The reference shape called <paramref name="name"/> (15M, 42M or 110M, any case), if there is one.</summary>
    public static bool TryShape(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelConfig? config)
    {
        config = name.ToUpperInvariant() switch
        {
            "15M" => new ModelConfig { Dim = 288, HiddenDim = 768, Layers = 6, Heads = 6, KvHeads = 6, VocabSize = 32000, SeqLen = 256 },
            "42M" => new ModelConfig { Dim = 512, HiddenDim = 1376, Layers = 8, Heads = 8, KvHeads = 8, VocabSize = 32000, SeqLen = 1024 },
            "110M" => new ModelConfig { Dim = 768, HiddenDim = 2048, Layers = 12, Heads = 12, KvHeads = 12, VocabSize = 32000, SeqLen = 1024 },
            _ => null,
        };
        return config is not null;
    }

    /// <summary>Writes a llama2.c legacy checkpoint (float32, unshared classifier unless <see cref="ModelConfig.SharedClassifier"/>).</summary>
    public static void WriteLlama2c(string path, ModelConfig c, ulong seed)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var w = new BinaryWriter(stream);
        foreach (var v in new[] { c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.SharedClassifier ? c.VocabSize : -c.VocabSize, c.SeqLen })
        {
            w.Write(v);
        }

        var row = new float[Math.Max(c.Dim, c.HiddenDim)];
        var bytes = new byte[row.Length * 4];
        void Emit(string name, int rows, int cols)
        {
            var fill = Filler(seed, name, cols);
            for (var r = 0; r < rows; r++)
            {
                var span = row.AsSpan(0, cols);
                fill(r, span);
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(span).CopyTo(bytes);
                w.Write(bytes, 0, cols * 4);
            }
        }

        int hs = c.HeadSize;
        Emit("token_embd.weight", c.VocabSize, c.Dim);
        for (var l = 0; l < c.Layers; l++) { Emit($"blk.{l}.attn_norm.weight", 1, c.Dim); }
        for (var l = 0; l < c.Layers; l++) { Emit($"blk.{l}.attn_q.weight", c.Heads * hs, c.Dim); }
        for (var l = 0; l < c.Layers; l++) { Emit($"blk.{l}.attn_k.weight", c.KvHeads * hs, c.Dim); }
        for (var l = 0; l < c.Layers; l++) { Emit($"blk.{l}.attn_v.weight", c.KvHeads * hs, c.Dim); }
        for (var l = 0; l < c.Layers; l++) { Emit($"blk.{l}.attn_output.weight", c.Dim, c.Heads * hs); }
        for (var l = 0; l < c.Layers; l++) { Emit($"blk.{l}.ffn_norm.weight", 1, c.Dim); }
        for (var l = 0; l < c.Layers; l++) { Emit($"blk.{l}.ffn_gate.weight", c.HiddenDim, c.Dim); }
        for (var l = 0; l < c.Layers; l++) { Emit($"blk.{l}.ffn_down.weight", c.Dim, c.HiddenDim); }
        for (var l = 0; l < c.Layers; l++) { Emit($"blk.{l}.ffn_up.weight", c.HiddenDim, c.Dim); }
        Emit("output_norm.weight", 1, c.Dim);
        w.Write(new byte[(long)c.SeqLen * hs * 4]); // legacy freq_cis_real and freq_cis_imag (seq_len * head_size / 2 each)
        if (!c.SharedClassifier)
        {
            Emit("output.weight", c.VocabSize, c.Dim);
        }
    }

    /// <summary>Writes a GGUF with the same random weights as <see cref="WriteLlama2c"/> for the same seed.</summary>
    public static void WriteGguf(string path, ModelConfig c, TensorType type, Tokenizer? tokenizer, ulong seed, uint version = 3)
    {
        var tensors = new List<TensorSpec>();
        void Add(string name, int rows, int cols, bool norm = false) =>
            tensors.Add(new TensorSpec(name, rows == 1 && norm ? [cols] : [cols, rows], norm ? TensorType.F32 : StoredType(type, cols), Filler(seed, name, cols)));

        AddAll(c, (name, rows, cols, norm) => Add(name, rows, cols, norm));
        GgufWriter.Write(path, version, Metadata(c, tokenizer ?? PlaceholderTokenizer(c.VocabSize), "synthetic"), tensors);
    }

    /// <summary>Writes <paramref name="model"/> as GGUF with its matrices stored as <paramref name="type"/>.</summary>
    public static void ConvertToGguf(LoadedModel model, string path, TensorType type, uint version)
    {
        var c = model.Config;
        var w = model.Weights;
        var tensors = new List<TensorSpec>();
        void Matrix(string name, WeightTensor t) =>
            tensors.Add(new TensorSpec(name, [t.Cols, t.Rows], StoredType(type, t.Cols), (r, span) => t.DequantizeRow(r, span)));
        void Vector(string name, float[] v) =>
            tensors.Add(new TensorSpec(name, [v.Length], TensorType.F32, (_, span) => v.CopyTo(span)));

        Matrix("token_embd.weight", w.TokenEmbedding);
        for (var l = 0; l < c.Layers; l++)
        {
            var layer = w.Layers[l];
            Vector($"blk.{l}.attn_norm.weight", layer.RmsAtt);
            Matrix($"blk.{l}.attn_q.weight", layer.Wq);
            Matrix($"blk.{l}.attn_k.weight", layer.Wk);
            Matrix($"blk.{l}.attn_v.weight", layer.Wv);
            Matrix($"blk.{l}.attn_output.weight", layer.Wo);
            Vector($"blk.{l}.ffn_norm.weight", layer.RmsFfn);
            Matrix($"blk.{l}.ffn_gate.weight", layer.W1);
            Matrix($"blk.{l}.ffn_down.weight", layer.W2);
            Matrix($"blk.{l}.ffn_up.weight", layer.W3);
        }

        Vector("output_norm.weight", w.RmsFinal);
        if (!c.SharedClassifier)
        {
            Matrix("output.weight", w.Classifier);
        }

        GgufWriter.Write(path, version, Metadata(c, model.Tokenizer, Path.GetFileNameWithoutExtension(model.Path)), tensors);
    }

    /// <summary>Q8_0 needs rows that are whole blocks; other rows fall back to F16 (as llama.cpp's quantizer does).</summary>
    private static TensorType StoredType(TensorType requested, int cols) =>
        requested == TensorType.Q8_0 && cols % Q8Block.Size != 0 ? TensorType.F16 : requested;

    private static void AddAll(ModelConfig c, Action<string, int, int, bool> add)
    {
        int hs = c.HeadSize;
        add("token_embd.weight", c.VocabSize, c.Dim, false);
        for (var l = 0; l < c.Layers; l++)
        {
            add($"blk.{l}.attn_norm.weight", 1, c.Dim, true);
            add($"blk.{l}.attn_q.weight", c.Heads * hs, c.Dim, false);
            add($"blk.{l}.attn_k.weight", c.KvHeads * hs, c.Dim, false);
            add($"blk.{l}.attn_v.weight", c.KvHeads * hs, c.Dim, false);
            add($"blk.{l}.attn_output.weight", c.Dim, c.Heads * hs, false);
            add($"blk.{l}.ffn_norm.weight", 1, c.Dim, true);
            add($"blk.{l}.ffn_gate.weight", c.HiddenDim, c.Dim, false);
            add($"blk.{l}.ffn_down.weight", c.Dim, c.HiddenDim, false);
            add($"blk.{l}.ffn_up.weight", c.HiddenDim, c.Dim, false);
        }

        add("output_norm.weight", 1, c.Dim, true);
        if (!c.SharedClassifier)
        {
            add("output.weight", c.VocabSize, c.Dim, false);
        }
    }

    private static List<KeyValuePair<string, object>> Metadata(ModelConfig c, Tokenizer tokenizer, string name)
    {
        var tokens = new string[tokenizer.VocabSize];
        var scores = new float[tokenizer.VocabSize];
        var types = new int[tokenizer.VocabSize];
        for (var i = 0; i < tokens.Length; i++)
        {
            // Pieces are bytes; invalid UTF-8 cannot be a GGUF string, so such pieces become byte tokens' text.
            tokens[i] = Encoding.UTF8.GetString(tokenizer.Piece(i)).Replace(' ', '\u2581');
            scores[i] = tokenizer.Score(i);
            types[i] = (int)tokenizer.Kind(i);
        }

        tokens[Tokenizer.Bos] = "<s>";
        tokens[Tokenizer.Eos] = "</s>";
        return
        [
            new("general.architecture", "llama"),
            new("general.name", name),
            new("llama.context_length", (uint)c.SeqLen),
            new("llama.embedding_length", (uint)c.Dim),
            new("llama.block_count", (uint)c.Layers),
            new("llama.feed_forward_length", (uint)c.HiddenDim),
            new("llama.rope.dimension_count", (uint)c.HeadSize),
            new("llama.attention.head_count", (uint)c.Heads),
            new("llama.attention.head_count_kv", (uint)c.KvHeads),
            new("llama.attention.layer_norm_rms_epsilon", c.NormEps),
            new("tokenizer.ggml.model", "llama"),
            new("tokenizer.ggml.tokens", tokens),
            new("tokenizer.ggml.scores", scores),
            new("tokenizer.ggml.token_type", types),
            new("tokenizer.ggml.bos_token_id", (uint)Tokenizer.Bos),
            new("tokenizer.ggml.eos_token_id", (uint)Tokenizer.Eos),
        ];
    }

    /// <summary>A vocabulary of the right size when no real tokenizer is at hand: specials, 256 byte tokens, then "tokN".</summary>
    private static Tokenizer PlaceholderTokenizer(int vocabSize)
    {
        var pieces = new byte[vocabSize][];
        var kinds = new TokenKind[vocabSize];
        for (var i = 0; i < vocabSize; i++)
        {
            (pieces[i], kinds[i]) = i switch
            {
                0 => ("<unk>"u8.ToArray(), TokenKind.Unknown),
                1 => ("<s>"u8.ToArray(), TokenKind.Control),
                2 => ("</s>"u8.ToArray(), TokenKind.Control),
                < 259 => (Encoding.ASCII.GetBytes($"<0x{i - 3:X2}>"), TokenKind.Byte),
                _ => (Encoding.ASCII.GetBytes($" tok{i}"), TokenKind.Normal),
            };
        }

        return new Tokenizer(pieces, new float[vocabSize], kinds, 16);
    }

    /// <summary>Deterministic values for a tensor: norm gains are 1, other weights uniform with variance 1 / cols.</summary>
    private static Action<int, Span<float>> Filler(ulong seed, string name, int cols)
    {
        var nameHash = 1469598103934665603UL;
        foreach (var ch in name)
        {
            nameHash = (nameHash ^ ch) * 1099511628211UL;
        }

        if (name.EndsWith("norm.weight", StringComparison.Ordinal))
        {
            return static (_, span) => span.Fill(1f);
        }

        var scale = MathF.Sqrt(3f / cols) * (name == "token_embd.weight" ? MathF.Sqrt(cols) : 1f);
        return (row, span) =>
        {
            var state = (seed ^ nameHash) + (ulong)row * 0x9E3779B97F4A7C15UL;
            state = state == 0 ? 1 : state;
            for (var i = 0; i < span.Length; i++)
            {
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                var u = (uint)((state * 0x2545F4914F6CDD1DUL) >> 40) / 16777216f; // [0, 1)
                span[i] = (u * 2f - 1f) * scale;
            }
        };
    }
}
