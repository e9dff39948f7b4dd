using System.Text;
using Sluice.Engine.Serving;
using Sluice.Engine.Tokenization;

namespace Sluice.Engine.Tests.Serving;

public sealed class TextDeltaDecoderTests
{
    private static Tokenizer CreateTokenizer()
    {
        // 0..2 specials, 3..258 byte tokens, then a few words.
        var pieces = new List<byte[]> { "<unk>"u8.ToArray(), "<s>"u8.ToArray(), "</s>"u8.ToArray() };
        var kinds = new List<TokenKind> { TokenKind.Unknown, TokenKind.Control, TokenKind.Control };
        for (var b = 0; b < 256; b++)
        {
            pieces.Add(Encoding.ASCII.GetBytes($"<0x{b:X2}>"));
            kinds.Add(TokenKind.Byte);
        }

        foreach (var word in new[] { " Hello", " world", " E", "ND", "!" })
        {
            pieces.Add(Encoding.UTF8.GetBytes(word));
            kinds.Add(TokenKind.Normal);
        }

        return new Tokenizer([.. pieces], new float[pieces.Count], [.. kinds], 8);
    }

    [Fact]
    public void Push_SplitUtf8Character_HeldUntilComplete()
    {
        var decoder = new TextDeltaDecoder(CreateTokenizer(), [], 259);

        Assert.Equal("", decoder.Push(3 + 0xC3));
        Assert.Equal("\u00e9", decoder.Push(3 + 0xA9));
    }

    [Fact]
    public void Push_FirstTokenAfterBos_LeadingSpaceDropped()
    {
        var decoder = new TextDeltaDecoder(CreateTokenizer(), [], Tokenizer.Bos);

        Assert.Equal("Hello", decoder.Push(259));
        Assert.Equal(" world", decoder.Push(260));
    }

    [Fact]
    public void Push_StopStringAcrossTokens_HeldThenDropped()
    {
        var decoder = new TextDeltaDecoder(CreateTokenizer(), ["END"], 259);

        Assert.Equal(" world", decoder.Push(260));
        Assert.Equal(" ", decoder.Push(261)); // "E" could start "END" and is held
        Assert.False(decoder.Stopped);
        Assert.Equal("", decoder.Push(262)); // "ND" completes it: nothing of it is released
        Assert.True(decoder.Stopped);
        Assert.Equal("", decoder.Push(263));
    }

    [Fact]
    public void Flush_HeldPrefixOfStop_Released()
    {
        var decoder = new TextDeltaDecoder(CreateTokenizer(), ["END"], 259);

        Assert.Equal(" ", decoder.Push(261));
        Assert.Equal("E", decoder.Flush());
    }

    [Fact]
    public void Push_ControlToken_NoText()
    {
        var decoder = new TextDeltaDecoder(CreateTokenizer(), [], 259);

        Assert.Equal("", decoder.Push(Tokenizer.Eos));
        Assert.Equal("", decoder.Push(0));
    }
}
