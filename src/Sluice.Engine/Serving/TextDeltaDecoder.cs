using System.Text;
using Sluice.Engine.Tokenization;

namespace Sluice.Engine.Serving;

/// <summary>
/// Turns generated tokens into streamable text: llama2.c's decode rules (leading space dropped after BOS,
/// <c>&lt;0xXX&gt;</c> as raw bytes), incomplete UTF-8 held until its last byte arrives, control tokens
/// dropped, and text that might be the start of a stop string held back until it is known not to be one.
/// </summary>
internal sealed class TextDeltaDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly IReadOnlyList<string> _stop;
    private readonly Decoder _utf8 = new UTF8Encoding(false, false).GetDecoder();
    private readonly StringBuilder _pending = new();
    private char[] _chars = new char[256];
    private int _previous;

    public TextDeltaDecoder(Tokenizer tokenizer, IReadOnlyList<string> stop, int previousToken)
    {
        _tokenizer = tokenizer;
        _stop = stop;
        _previous = previousToken;
    }

    /// <summary>True once a stop string has been seen (the text before it has been returned).</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds a generated token; returns the text that can be streamed now (possibly empty).</summary>
    public string Push(int token)
    {
        var previous = _previous;
        _previous = token;
        if (Stopped || _tokenizer.Kind(token) is TokenKind.Control or TokenKind.Unknown)
        {
            return "";
        }

        var bytes = _tokenizer.Decode(previous, token);
        if (_chars.Length < bytes.Length + 8)
        {
            _chars = new char[bytes.Length * 2 + 8];
        }

        var n = _utf8.GetChars(bytes, _chars, flush: false);
        _pending.Append(_chars, 0, n);
        return Release(final: false);
    }

    /// <summary>Everything still held (incomplete UTF-8 becomes U+FFFD), when the sequence ends for another reason.</summary>
    public string Flush()
    {
        if (Stopped)
        {
            return "";
        }

        var n = _utf8.GetChars(ReadOnlySpan<byte>.Empty, _chars, flush: true);
        _pending.Append(_chars, 0, n);
        return Release(final: true);
    }

    private string Release(bool final)
    {
        if (_pending.Length == 0)
        {
            return "";
        }

        if (_stop.Count == 0)
        {
            return Take(_pending.Length);
        }

        var text = _pending.ToString();
        var first = -1;
        foreach (var stop in _stop)
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }

        if (first >= 0)
        {
            Stopped = true;
            var before = text[..first];
            _pending.Clear();
            return before;
        }

        if (final)
        {
            return Take(_pending.Length);
        }

        // Hold back the longest tail that is a prefix of some stop string.
        var hold = 0;
        foreach (var stop in _stop)
        {
            for (var len = Math.Min(stop.Length - 1, text.Length); len > hold; len--)
            {
                if (text.AsSpan(text.Length - len).SequenceEqual(stop.AsSpan(0, len)))
                {
                    hold = len;
                    break;
                }
            }
        }

        return Take(text.Length - hold);
    }

    private string Take(int count)
    {
        if (count == 0)
        {
            return "";
        }

        var s = _pending.ToString(0, count);
        _pending.Remove(0, count);
        return s;
    }
}
