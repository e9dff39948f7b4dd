using System.Security.Cryptography;

namespace Sluice.Core.Jobs;

/// <summary>Creates job ids: a millisecond timestamp and 80 random bits in Crockford base-32 (sortable, like ULID).</summary>
public static class JobIds
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public static string New(DateTimeOffset now)
    {
        Span<char> chars = stackalloc char[4 + 26];
        "job_".CopyTo(chars);
        var ms = (ulong)now.ToUnixTimeMilliseconds();
        for (var i = 9; i >= 0; i--)
        {
            chars[4 + i] = Alphabet[(int)(ms & 31)];
            ms >>= 5;
        }

        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        for (var i = 0; i < 16; i++)
        {
            chars[14 + i] = Alphabet[random[i] & 31];
        }

        return new string(chars);
    }

    /// <summary>True when <paramref name="id"/> has the shape of a job id (cheap check before a store lookup).</summary>
    public static bool IsWellFormed(string? id)
    {
        if (id is null || id.Length != 30 || !id.StartsWith("job_", StringComparison.Ordinal))
        {
            return false;
        }

        for (var i = 4; i < id.Length; i++)
        {
            if (!Alphabet.Contains(id[i]))
            {
                return false;
            }
        }

        return true;
    }
}
