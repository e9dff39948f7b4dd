using System.Buffers.Binary;
using Sluice.Engine.Loading;

namespace Sluice.Engine.Tokenization;

/// <summary>
/// Reads llama2.c's <c>tokenizer.bin</c>: int32 max_token_length, then per token a float32 score, an int32 length
/// and that many bytes, until the end of the file (the vocabulary size is the record count).
/// </summary>
internal static class TokenizerReader
{
    public static Tokenizer Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException(Directory.Exists(full) ? $"{full} is a directory, not a tokenizer file" : $"tokenizer file not found: {full}", full);
        }

        var bytes = File.ReadAllBytes(full);
        return Parse(bytes, out var problemOffset, out var problem) ?? throw new ModelFormatException(full, problemOffset, problem);
    }

    /// <summary>True when the file parses as a llama2.c tokenizer (used to tell tokenizers from checkpoints, both <c>*.bin</c>).</summary>
    public static bool TryProbe(string path, out int vocabSize)
    {
        vocabSize = 0;
        try
        {
            var info = FileTarget.Resolve(path);
            if (info.Length < 8 || info.Length > 64 << 20)
            {
                return false;
            }

            var tokenizer = Parse(File.ReadAllBytes(path), out _, out _);
            vocabSize = tokenizer?.VocabSize ?? 0;
            return tokenizer is not null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A file this process may not read is no tokenizer; thrown, it failed every checkpoint whose search
            // passed it, naming the unreadable file as the checkpoint's problem.
            return false;
        }
    }

    private static Tokenizer? Parse(byte[] bytes, out long problemOffset, out string problem)
    {
        problemOffset = 0;
        if (bytes.Length < 4)
        {
            problem = "expected a llama2.c tokenizer (int32 max_token_length then records) but the file is shorter than 4 bytes";
            return null;
        }

        var maxLength = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (maxLength <= 0 || maxLength > 1024)
        {
            problem = $"expected max_token_length in 1..1024 but found {maxLength} (not a llama2.c tokenizer?)";
            return null;
        }

        var pieces = new List<byte[]>();
        var scores = new List<float>();
        var offset = 4;
        while (offset < bytes.Length)
        {
            if (offset + 8 > bytes.Length)
            {
                problemOffset = offset;
                problem = $"truncated: token {pieces.Count} needs an 8-byte score and length but only {bytes.Length - offset} bytes remain";
                return null;
            }

            var score = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(offset));
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset + 4));
            if (length < 0 || length > maxLength || !float.IsFinite(score))
            {
                problemOffset = offset;
                problem = $"token {pieces.Count}: expected a finite score and a length in 0..{maxLength} but found score {score}, length {length}";
                return null;
            }

            offset += 8;
            if (offset + length > bytes.Length)
            {
                problemOffset = offset;
                problem = $"truncated: token {pieces.Count} needs {length} bytes but only {bytes.Length - offset} remain";
                return null;
            }

            pieces.Add(bytes.AsSpan(offset, length).ToArray());
            scores.Add(score);
            offset += length;
        }

        if (pieces.Count < 3)
        {
            problem = $"expected at least 3 tokens (unk, bos, eos) but found {pieces.Count}";
            return null;
        }

        problem = "";
        var kinds = new TokenKind[pieces.Count];
        Array.Fill(kinds, TokenKind.Normal);
        kinds[0] = TokenKind.Unknown;
        kinds[Tokenizer.Bos] = TokenKind.Control;
        kinds[Tokenizer.Eos] = TokenKind.Control;
        return new Tokenizer([.. pieces], [.. scores], kinds, maxLength);
    }
}
