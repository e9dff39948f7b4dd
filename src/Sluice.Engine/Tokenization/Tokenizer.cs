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
                    // llama2.c's fallback id (byte + 3) is outside a vocabulary of fewer than 259 tokens without
                    // byte pieces, and the embedding row it named lay past the table: such bytes become <unk> (0).
                    var t = _byteToken[bytes[j]];
                    tokens.Add(t >= 0 ? t : bytes[j] + 3 < _pieces.Length ? bytes[j] + 3 : 0);
                }
            }
        }

        // Greedily merge the best-scoring adjacent pair (the leftmost on ties) until no pair is in the vocabulary,
        // as llama2.c's loop does. llama2.c rescans the whole sequence per merge, O(n²): a 200 KB prompt took
        // 90 s to encode, and the largest body the API accepts hours, before being refused as too long. Here the
        // tokens form a linked list and candidate pairs wait in a heap ordered by (score, position), so a prompt
        // costs O(n log n) with the same merges; an entry whose pair has changed since it was queued is skipped.
        if (tokens.Count > 1)
        {
            Merge(tokens);
        }

        if (eos)
        {
            tokens.Add(Eos);
        }

        return tokens;
    }

    /// <summary>Applies every merge to <paramref name="tokens"/> in place, best score first, leftmost on ties.</summary>
    private void Merge(List<int> tokens)
    {
        var n = tokens.Count;
        var ids = tokens.ToArray();
        var next = new int[n];
        var prev = new int[n];
        var pair = new int[n]; // merged id of (k, next[k]), or -1; -2 once k has been merged into its left neighbour
        var queue = new PriorityQueue<int, (float Score, int Position)>(n, s_mergeOrder);
        for (var k = 0; k < n; k++)
        {
            next[k] = k + 1 < n ? k + 1 : -1;
            prev[k] = k - 1;
            pair[k] = k + 1 < n ? LookupPair(ids[k], ids[k + 1]) : -1;
            Enqueue(queue, pair, k);
        }

        while (queue.TryDequeue(out var k, out var priority))
        {
            var id = pair[k];
            if (id < 0 || _scores[id] != priority.Score)
            {
                continue; // stale: the pair at k changed after this entry was queued
            }

            var right = next[k];
            ids[k] = id;
            pair[right] = -2;
            next[k] = next[right];
            if (next[k] >= 0)
            {
                prev[next[k]] = k;
            }

            pair[k] = next[k] >= 0 ? LookupPair(ids[k], ids[next[k]]) : -1;
            Enqueue(queue, pair, k);
            if (prev[k] >= 0)
            {
                pair[prev[k]] = LookupPair(ids[prev[k]], ids[k]);
                Enqueue(queue, pair, prev[k]);
            }
        }

        tokens.Clear();
        for (var k = 0; k >= 0; k = next[k])
        {
            tokens.Add(ids[k]);
        }
    }

    private void Enqueue(PriorityQueue<int, (float Score, int Position)> queue, int[] pair, int k)
    {
        var id = pair[k];
        // llama2.c only merges pairs scoring above its starting best of -1e10 (a NaN score never merges).
        if (id >= 0 && _scores[id] > -1e10f)
        {
            queue.Enqueue(k, (_scores[id], k));
        }
    }

    /// <summary>Higher score first; on equal scores the leftmost pair (node indices keep the text's order).</summary>
    private static readonly Comparer<(float Score, int Position)> s_mergeOrder = Comparer<(float Score, int Position)>.Create(
        static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Position.CompareTo(b.Position));

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
