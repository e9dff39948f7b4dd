using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Sluice.Server.Admission;

/// <summary>
/// Checks API keys. Secrets are held only as SHA-256 hashes; a presented key is hashed and compared with every
/// configured hash in constant time (no early exit), so timing reveals neither which key nor how much matched.
/// </summary>
internal sealed class ApiKeyAuthenticator
{
    private readonly (byte[] Hash, Caller Caller)[] _keys;
    private readonly Caller _anonymous;

    public ApiKeyAuthenticator(IOptions<AuthOptions> options)
    {
        var o = options.Value;
        var keys = new List<(byte[], Caller)>();
        foreach (var k in o.Keys)
        {
            if (string.IsNullOrWhiteSpace(k.Id))
            {
                throw new InvalidOperationException("Every Sluice:Auth:Keys entry needs an Id.");
            }

            byte[] hash;
            if (!string.IsNullOrEmpty(k.Sha256))
            {
                hash = Convert.FromHexString(k.Sha256);
                if (hash.Length != 32)
                {
                    throw new InvalidOperationException($"Sluice:Auth key '{k.Id}': Sha256 must be 64 hex digits.");
                }
            }
            else if (!string.IsNullOrEmpty(k.Key))
            {
                hash = SHA256.HashData(Encoding.UTF8.GetBytes(k.Key));
            }
            else
            {
                throw new InvalidOperationException($"Sluice:Auth key '{k.Id}' needs Key or Sha256.");
            }

            keys.Add((hash, new Caller(k.Id, k.RequestsPerSecond, k.Burst > 0 ? k.Burst : Math.Max(1, k.RequestsPerSecond), k.TokensPerMinute)));
        }

        _keys = keys.ToArray();
        _anonymous = new Caller("anonymous", o.AnonymousRequestsPerSecond, o.AnonymousBurst > 0 ? o.AnonymousBurst : Math.Max(1, o.AnonymousRequestsPerSecond), 0);
    }

    /// <summary>True when keys are configured (requests without a valid key get 401).</summary>
    public bool Enabled => _keys.Length > 0;

    public Caller AnonymousCaller => _anonymous;

    /// <summary>The configured keys: each one's SHA-256 and who it authenticates as (for <see cref="StreamTokens"/>).</summary>
    public IReadOnlyList<(byte[] Hash, Caller Caller)> Entries => _keys;

    /// <summary>Resolves a presented secret; false when it matches no key.</summary>
    public bool TryAuthenticate(ReadOnlySpan<char> presented, out Caller caller)
    {
        caller = _anonymous;
        if (presented.IsEmpty || presented.Length > 512)
        {
            return false;
        }

        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(presented.Length)];
        var n = Encoding.UTF8.GetBytes(presented, utf8);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(utf8[..n], hash);
        var found = -1;
        for (var i = 0; i < _keys.Length; i++)
        {
            // Visit every key whatever matched, so the loop's duration does not depend on the secret.
            if (CryptographicOperations.FixedTimeEquals(hash, _keys[i].Hash))
            {
                found = i;
            }
        }

        if (found < 0)
        {
            return false;
        }

        caller = _keys[found].Caller;
        return true;
    }
}
