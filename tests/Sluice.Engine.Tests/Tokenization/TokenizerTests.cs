using System.Text;
using Sluice.Engine.Tokenization;
using Sluice.Testing;

namespace Sluice.Engine.Tests.Tokenization;

public sealed class TokenizerTests
{
    [SharedDataFact(TestModels.Tokenizer, TestModels.Golden)]
    public void Encode_GoldenPrompts_MatchLlama2cPromptTokens()
    {
        var tokenizer = TokenizerReader.Load(SharedDataFactAttribute.RequirePath(TestModels.Tokenizer));
        foreach (var golden in TestModels.ReadGolden())
        {
            var tokens = tokenizer.Encode(golden.Prompt, bos: true, eos: false);

            Assert.Equal(Tokenizer.Bos, tokens[0]);
            // llama2.c forces the prompt tokens, so they open tokens_after_bos.
            Assert.Equal(golden.Tokens.GetRange(0, tokens.Count - 1), tokens.GetRange(1, tokens.Count - 1));
        }
    }

    [SharedDataFact(TestModels.Tokenizer)]
    public void Encode_EmptyText_OnlyBos()
    {
        var tokenizer = TokenizerReader.Load(SharedDataFactAttribute.RequirePath(TestModels.Tokenizer));

        Assert.Equal([Tokenizer.Bos], tokenizer.Encode("", bos: true, eos: false));
        Assert.Equal([Tokenizer.Bos, Tokenizer.Eos], tokenizer.Encode("", bos: true, eos: true));
    }

    [SharedDataFact(TestModels.Tokenizer)]
    public void Encode_CharacterOutsideVocabulary_FallsBackToByteTokens()
    {
        var tokenizer = TokenizerReader.Load(SharedDataFactAttribute.RequirePath(TestModels.Tokenizer));

        var tokens = tokenizer.Encode("\u2603", bos: false, eos: false); // the snowman, E2 98 83, is not a 512-vocab piece

        Assert.Equal([3 + 0xE2, 3 + 0x98, 3 + 0x83], tokens.GetRange(tokens.Count - 3, 3));
        var bytes = new List<byte>();
        var previous = Tokenizer.Bos;
        foreach (var t in tokens)
        {
            bytes.AddRange(tokenizer.Decode(previous, t).ToArray());
            previous = t;
        }

        Assert.Equal("\u2603", Encoding.UTF8.GetString(bytes.ToArray()));
    }

    [Fact]
    public void Encode_BytesOutsideSmallVocabularyWithoutByteTokens_StayInsideTheVocabulary()
    {
        // A character-level vocabulary of 8 pieces and no <0xXX> tokens, read from a real tokenizer file.
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File("tok8.bin");
        using (var writer = new BinaryWriter(File.Create(path)))
        {
            writer.Write(5);
            foreach (var piece in new[] { "<unk>", "<s>", "</s>", " ", "a", "b", "c", "d" })
            {
                writer.Write(0f);
                writer.Write(Encoding.UTF8.GetByteCount(piece));
                writer.Write(Encoding.UTF8.GetBytes(piece));
            }
        }

        var tokenizer = TokenizerReader.Load(path);

        // llama2.c maps an unknown byte to byte + 3: 0xF0 + 3 = 243 for the emoji, far past the embedding table
        // (NUL's 0 + 3 is inside it, so it stays llama2.c's id 3).
        var tokens = tokenizer.Encode("ab \U0001F600\u00e9\u0000 d", bos: true, eos: true);

        Assert.All(tokens, t => Assert.InRange(t, 0, tokenizer.VocabSize - 1));
        Assert.Equal([Tokenizer.Bos, 3, 4, 5, 3, 0, 0, 0, 0, 0, 0, 3, 3, 7, Tokenizer.Eos], tokens);
    }

    [SharedDataFact(TestModels.Tokenizer)]
    public void EncodeDecode_AsciiText_RoundTrips()
    {
        var tokenizer = TokenizerReader.Load(SharedDataFactAttribute.RequirePath(TestModels.Tokenizer));
        const string text = "The little dog ran to the park, and said: \"Hello!\"\nThen 42 cats slept.";

        var tokens = tokenizer.Encode(text, bos: true, eos: false);
        var bytes = new List<byte>();
        for (var i = 1; i < tokens.Count; i++)
        {
            bytes.AddRange(tokenizer.Decode(tokens[i - 1], tokens[i]).ToArray());
        }

        Assert.True(tokens.Count < text.Length, "merges should shorten the sequence");
        Assert.Equal(text, Encoding.UTF8.GetString(bytes.ToArray()));
    }

    [SharedDataFact(TestModels.Tokenizer)]
    public void Decode_AnyTokenSequence_NeverThrows()
    {
        var tokenizer = TokenizerReader.Load(SharedDataFactAttribute.RequirePath(TestModels.Tokenizer));
        var random = new Random(5);
        var previous = Tokenizer.Bos;
        var total = 0;
        for (var i = 0; i < 10_000; i++)
        {
            var token = random.Next(-5, tokenizer.VocabSize + 5);
            total += tokenizer.Decode(previous, token).Length;
            previous = token;
        }

        Assert.True(total > 0);
        Assert.True(tokenizer.Decode(Tokenizer.Bos, -1).IsEmpty);
        Assert.True(tokenizer.Decode(Tokenizer.Bos, tokenizer.VocabSize).IsEmpty);
    }

    [SharedDataFact(TestModels.Tokenizer, TestModels.Gguf)]
    public void Encode_GgufVocabulary_SameTokensAsLlama2cTokenizer()
    {
        var bin = TokenizerReader.Load(SharedDataFactAttribute.RequirePath(TestModels.Tokenizer));
        using var gguf = TestModels.LoadGguf();

        foreach (var text in new[] { "Once upon a time", "Zoo", "The little dog", "caf\u00e9 \u2603 42!" })
        {
            Assert.Equal(bin.Encode(text, true, false), gguf.Tokenizer.Encode(text, true, false));
        }
    }

    [Fact]
    public void Load_TruncatedTokenizer_ThrowsWithOffset()
    {
        using var dir = TestModels.CreateTempDirectory();
        var path = dir.File("tok.bin");
        using (var w = new BinaryWriter(File.Create(path)))
        {
            w.Write(4);
            w.Write(0f);
            w.Write(3);
            w.Write("ab"u8.ToArray()); // declares 3 bytes, has 2
        }

        var ex = Assert.Throws<Sluice.Engine.Loading.ModelFormatException>(() => TokenizerReader.Load(path));

        Assert.Equal(12, ex.Offset);
        Assert.Contains("truncated", ex.Message);
    }

    [SharedDataFact(TestModels.Tokenizer)]
    public void Encode_LongText_FastAndRoundTrips()
    {
        var tokenizer = TokenizerReader.Load(SharedDataFactAttribute.RequirePath(TestModels.Tokenizer));
        var text = string.Concat(Enumerable.Repeat("Once upon a time, a little dog named Max found a big red ball in the park. ", 80));
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        var tokens = tokenizer.Encode(text, bos: true, eos: false);

        Assert.True(stopwatch.ElapsedMilliseconds < 2000, $"encoding {text.Length} chars took {stopwatch.ElapsedMilliseconds} ms");
        var bytes = new List<byte>();
        for (var i = 1; i < tokens.Count; i++)
        {
            bytes.AddRange(tokenizer.Decode(tokens[i - 1], tokens[i]).ToArray());
        }

        Assert.Equal(text, Encoding.UTF8.GetString(bytes.ToArray()));
    }
}
