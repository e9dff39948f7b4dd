using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sluice.Blog.Security;

/// <summary>
/// PBKDF2-HMAC-SHA512 password hashes, stored as <c>pbkdf2-sha512$ITERATIONS$SALT$HASH</c> (base64) so the
/// iteration count can rise later without invalidating stored hashes.
/// </summary>
internal static class PasswordHasher
{
    /// <summary>OWASP's figure for PBKDF2-HMAC-SHA512 (2023).</summary>
    public const int Iterations = 210_000;

    private const string Scheme = "pbkdf2-sha512";
    private const int SaltBytes = 16;
    private const int HashBytes = 64;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA512, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>True when <paramref name="password"/> matches; false for a wrong password or a hash this code cannot read.</summary>
    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1)
        {
            return false;
        }

        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, expected.Length);
        // Constant time: how many leading bytes matched must not show in the answer's timing.
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
