using System.Text;

namespace Sluice.Engine.Tokenization;

/// <summary>
/// SentencePiece-style BPE as llama2.c runs it: text is split into UTF-8 code points (unknown ones fall back to
/// <c>&lt;0xXX&gt;</c> byte tokens), then the adjacent pair whose merge has the highest score is merged until none
/// is in the vocabulary. Pieces are raw bytes; the lookup keys are Latin-1 strings so every byte sequence maps
/// to a distinct key without decoding.
/// </summary>
internal sealed class Tokenizer
{
    /// <summary>Beginning-of-sequence id (llama's <c>&lt;s&gt;</c>).</summary>
    public const int Bos = 1;

    /// <summary>End-of-sequence id (llama's <c>&lt;/s&gt;</c>).</summary>
    public const int Eos = 2;

    private readonly byte[][] _pieces;        // (vocab_size) raw bytes of each token
    private readonly float[] _scores;         // (vocab_size) merge priority, higher merges first
    private readonly TokenKind[] _kinds;      // (vocab_size)
    private readonly short[] _byteValue;      // (vocab_size) the byte a <0xXX> token stands for, or -1
    private readonly int[] _byteToken;        // (256) token id of each raw byte, or -1
    private readonly Dictionary<string, int> _lookup;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _spanLookup;
    private readonly string[] _latin1;        // (vocab_size) each piece as a Latin-1 string (one char per byte)
    private readonly int _spaceToken;

    public Tokenizer(byte[][] pieces, float[] scores, TokenKind[] kinds, int maxTokenLength)
    {
        _pieces = pieces;
        _scores = scores;
        _kinds = kinds;
        MaxTokenLength = maxTokenLength;
        _byteValue = new short[pieces.Length];
        _byteToken = new int[256];
        Array.Fill(_byteToken, -1);
        _lookup = new Dictionary<string, int>(pieces.Length, StringComparer.Ordinal);
        _latin1 = new string[pieces.Length];
        for (var i = 0; i < pieces.Length; i++)
        {
            _byteValue[i] = -1;
            if (TryParseByteToken(pieces[i], out var b))
            {
                _byteValue[i] = b;
                if (_byteToken[b] < 0)
                {
                    _byteToken[b] = i;
                }
            }

            // First occurrence wins, like a lookup that stops at the lowest id.
            _latin1[i] = Encoding.Latin1.GetString(pieces[i]);
            _lookup.TryAdd(_latin1[i], i);
        }

        _spaceToken = _lookup.GetValueOrDefault(" ", -1);
        _spanLookup = _lookup.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int VocabSize => _pieces.Length;

    /// <summary>Longest piece in bytes (llama2.c's <c>max_token_length</c>).</summary>
    public int MaxTokenLength { get; }

    /// <summary>Raw bytes of a token.</summary>
    public ReadOnlySpan<byte> Piece(int token) => _pieces[token];

    public float Score(int token) => _scores[token];

    public TokenKind Kind(int token) => _kinds[token];

    /// <summary>Encodes <paramref name="text"/> exactly as llama2.c's <c>encode</c> (dummy-prefix space for non-empty text).</summary>
    public List<int> Encode(string text, bool bos, bool eos)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var tokens = new List<int>(bytes.Length + 3);
        if (bos)
        {
            tokens.Add(Bos);
        }

        if (bytes.Length > 0 && _spaceToken >= 0)
        {
            tokens.Add(_spaceToken);
        }

        // One token per UTF-8 code point where the vocabulary has it, else one byte token per byte.
        var i = 0;
        while (i < bytes.Length)
        {
            var start = i++;
            while (i < bytes.Length && (bytes[i] & 0xC0) == 0x80 && i - start < 4)
            {
                i++;
            }

            if (_lookup.TryGetValue(Encoding.Latin1.GetString(bytes, start, i - start), out var id))
            {
                tokens.Add(id);
            }
            else
            {
                for (var j = start; j < i; j++)
                {
                    var t = _byteToken[bytes[j]];
                    tokens.Add(t >= 0 ? t : bytes[j] + 3);
                }
            }
        }

        // Greedily merge the best-scoring adjacent pair until no pair is in the vocabulary (llama2.c's loop).
        // Each pair's merge is looked up once and only the two pairs next to a merge are looked up again, with
        // span keys, so long prompts cost O(n) lookups and no string allocations per merge.
        if (tokens.Count > 1)
        {
            var mergeId = new List<int>(tokens.Count);
            for (var k = 0; k < tokens.Count - 1; k++)
            {
                mergeId.Add(LookupPair(tokens[k], tokens[k + 1]));
            }

            while (true)
            {
                var bestScore = -1e10f;
                var bestIndex = -1;
                for (var k = 0; k < mergeId.Count; k++)
                {
                    var id = mergeId[k];
                    if (id >= 0 && _scores[id] > bestScore)
                    {
                        bestScore = _scores[id];
                        bestIndex = k;
                    }
                }

                if (bestIndex < 0)
                {
                    break;
                }

                tokens[bestIndex] = mergeId[bestIndex];
                tokens.RemoveAt(bestIndex + 1);
                mergeId.RemoveAt(bestIndex);
                if (bestIndex > 0)
                {
                    mergeId[bestIndex - 1] = LookupPair(tokens[bestIndex - 1], tokens[bestIndex]);
                }

                if (bestIndex < mergeId.Count)
                {
                    mergeId[bestIndex] = LookupPair(tokens[bestIndex], tokens[bestIndex + 1]);
                }
            }
        }

        if (eos)
        {
            tokens.Add(Eos);
        }

        return tokens;
    }

    /// <summary>Id of the piece <c>a + b</c>, or -1.</summary>
    private int LookupPair(int a, int b)
    {
        var left = _latin1[a];
        var right = _latin1[b];
        var length = left.Length + right.Length;
        Span<char> buffer = length <= 256 ? stackalloc char[length] : new char[length];
        left.CopyTo(buffer);
        right.CopyTo(buffer[left.Length..]);
        return _spanLookup.TryGetValue(buffer, out var id) ? id : -1;
    }

    /// <summary>
    /// The bytes llama2.c's <c>decode</c> returns for <paramref name="token"/> following <paramref name="previous"/>:
    /// the leading space is dropped after BOS and <c>&lt;0xXX&gt;</c> becomes that raw byte. Never throws: an id
    /// outside the vocabulary decodes to nothing.
    /// </summary>
    public ReadOnlySpan<byte> Decode(int previous, int token)
    {
        if ((uint)token >= (uint)_pieces.Length)
        {
            return default;
        }

        var b = _byteValue[token];
        if (b >= 0)
        {
            return s_singleBytes.AsSpan(b, 1);
        }

        ReadOnlySpan<byte> piece = _pieces[token];
        if (previous == Bos && piece.Length > 0 && piece[0] == (byte)' ')
        {
            piece = piece[1..];
        }

        return piece;
    }

    private static readonly byte[] s_singleBytes = CreateSingleBytes();

    private static byte[] CreateSingleBytes()
    {
        var bytes = new byte[256];
        for (var i = 0; i < 256; i++)
        {
            bytes[i] = (byte)i;
        }

        return bytes;
    }

    private static bool TryParseByteToken(ReadOnlySpan<byte> piece, out byte value)
    {
        value = 0;
        if (piece.Length != 6 || piece[0] != '<' || piece[1] != '0' || piece[2] != 'x' || piece[5] != '>')
        {
            return false;
        }

        var hi = HexValue(piece[3]);
        var lo = HexValue(piece[4]);
        if (hi < 0 || lo < 0)
        {
            return false;
        }

        value = (byte)(hi * 16 + lo);
        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => -1,
    };
}
