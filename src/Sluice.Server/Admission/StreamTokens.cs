using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Sluice.Server.Admission;

/// <summary>
/// Short-lived, read-only, job-scoped tokens for the event streams of browsers: an <c>EventSource</c> cannot send the
/// API key header, so the key's owner gets a token with the job (submit, <c>GET /v1/jobs/{id}</c>) and the browser
/// passes it as <c>?stream_token=</c>. A token is <c>st1.{payload}.{mac}</c> (base64url): the payload names the job, the
/// key id and the expiry; the mac is an HMAC-SHA256 under a signing key derived from the key's SHA-256 and a secret:
/// <see cref="AuthOptions.StreamTokenSecret"/> when set, else a random one generated once and kept in the job store
/// (<see cref="StreamTokenSecretLoader"/>), which every gateway sharing the store reads. So any gateway verifies any
/// token, and removing or rotating the key ends its tokens. Without a secret nobody signs: the key's SHA-256 alone sits
/// in configuration, and a token signed from it could be made by whoever reads that.
/// </summary>
internal sealed class StreamTokens
{
    /// <summary>The query parameter the event streams read a token from.</summary>
    public const string QueryName = "stream_token";

    public const int MinSeconds = 10;
    public const int MaxSeconds = 86_400;
    public const int MinSecretLength = 32;

    private const string Prefix = "st1.";

    /// <summary>Longer is not a token this server issued (a job id and a key id are short): refused before decoding.</summary>
    private const int MaxLength = 1024;

    private static readonly byte[] Label = "sluice stream token v1\n"u8.ToArray();

    /// <summary>The name of the generated secret in the job store.</summary>
    public const string StoredSecretName = "stream_token";

    /// <summary>Length of a generated secret, in bytes.</summary>
    public const int GeneratedSecretBytes = 32;

    private readonly ApiKeyAuthenticator _auth;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;

    /// <summary>The signing keys once a secret is known; null before (no token is issued or accepted then).</summary>
    private volatile SigningKeys? _keys;

    public StreamTokens(ApiKeyAuthenticator auth, IOptions<AuthOptions> options, TimeProvider time)
    {
        _auth = auth;
        _time = time;
        _lifetime = TimeSpan.FromSeconds(options.Value.StreamTokenSeconds);
        Enabled = auth.Entries.Count > 0;
        if (options.Value.StreamTokenSecret is { } configured)
        {
            Configured = true;
            _keys = Derive(Encoding.UTF8.GetBytes(configured));
        }
    }

    /// <summary>True when keys are configured: without them the streams need no token and none is issued.</summary>
    public bool Enabled { get; }

    /// <summary>True when <see cref="AuthOptions.StreamTokenSecret"/> is set; otherwise the store's secret is used.</summary>
    public bool Configured { get; }

    /// <summary>Signs and verifies with <paramref name="secret"/>, the one generated and kept in the job store.</summary>
    public void UseStoredSecret(byte[] secret)
    {
        if (Configured)
        {
            throw new InvalidOperationException("Sluice:Auth:StreamTokenSecret is configured; it wins over the stored secret.");
        }

        _keys = Derive(secret);
    }

    private SigningKeys Derive(byte[] secret)
    {
        var signingKeys = new Dictionary<Caller, byte[]>(ReferenceEqualityComparer.Instance);
        var byId = new Dictionary<string, List<(byte[] Key, Caller Caller)>>(StringComparer.Ordinal);
        foreach (var (hash, caller) in _auth.Entries)
        {
            var key = HMACSHA256.HashData(secret, (byte[])[.. Label, .. hash]);
            signingKeys[caller] = key;
            if (!byId.TryGetValue(caller.Id, out var list))
            {
                byId[caller.Id] = list = [];
            }

            list.Add((key, caller));
        }

        var ids = new Dictionary<string, (byte[] Key, Caller Caller)[]>(StringComparer.Ordinal);
        foreach (var (id, list) in byId)
        {
            ids[id] = [.. list];
        }

        return new SigningKeys(signingKeys, ids);
    }

    /// <summary>A token for <paramref name="jobId"/>'s streams, for the key <paramref name="caller"/> authenticated with; null when it has none.</summary>
    public string? Issue(string jobId, Caller caller, out DateTimeOffset expiresAt)
    {
        expiresAt = default;
        if (_keys is not { } keys || !keys.ByCaller.TryGetValue(caller, out var key))
        {
            return null;
        }

        // Whole seconds: the expiry the view shows is the one the token holds.
        var expires = _time.GetUtcNow().Add(_lifetime).ToUnixTimeSeconds();
        expiresAt = DateTimeOffset.FromUnixTimeSeconds(expires);
        var payload = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{expires}\n{jobId}\n{caller.Id}"));
        return Prefix + Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(key, payload));
    }

    /// <summary>Checks <paramref name="token"/> for the streams of <paramref name="jobId"/>; on success, the key it speaks for.</summary>
    public StreamTokenCheck Check(string token, string jobId, out Caller? caller)
    {
        caller = null;
        if (_keys is not { } signing || token.Length > MaxLength || !token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return StreamTokenCheck.Invalid;
        }

        var body = token.AsSpan(Prefix.Length);
        var dot = body.IndexOf('.');
        if (dot < 0)
        {
            return StreamTokenCheck.Invalid;
        }

        byte[] payload;
        byte[] mac;
        try
        {
            payload = Base64Url.DecodeFromChars(body[..dot]);
            mac = Base64Url.DecodeFromChars(body[(dot + 1)..]);
        }
        catch (FormatException)
        {
            return StreamTokenCheck.Invalid;
        }

        var text = Encoding.UTF8.GetString(payload);
        var parts = text.Split('\n');
        if (parts.Length != 3 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || !signing.ById.TryGetValue(parts[2], out var keys))
        {
            return StreamTokenCheck.Invalid;
        }

        // The mac before anything the payload says: an unsigned payload tells the caller nothing.
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (var (key, owner) in keys)
        {
            HMACSHA256.HashData(key, payload, expected);
            if (CryptographicOperations.FixedTimeEquals(expected, mac))
            {
                caller = owner;
            }
        }

        if (caller is null)
        {
            return StreamTokenCheck.Invalid;
        }

        if (!string.Equals(parts[1], jobId, StringComparison.Ordinal))
        {
            caller = null;
            return StreamTokenCheck.OtherJob;
        }

        if (_time.GetUtcNow().ToUnixTimeSeconds() >= expires)
        {
            caller = null;
            return StreamTokenCheck.Expired;
        }

        return StreamTokenCheck.Valid;
    }

    /// <summary>
    /// <paramref name="text"/> with the value of every <c>stream_token=</c> in it replaced, for logs; the same instance
    /// when it has none. The name is recognised as the query parser reads it (percent-decoded, without regard to case:
    /// <c>Stream_Token</c> and <c>stream%5Ftoken</c> open a stream too), while the logged URL shows it as sent.
    /// </summary>
    public static string Redact(string text)
    {
        StringBuilder? sb = null;
        var from = 0;
        var eq = text.IndexOf('=');
        while (eq >= 0)
        {
            var start = eq;
            while (start > from && text[start - 1] is not ('?' or '&' or ';' or ' ' or '"' or '\n' or '\r'))
            {
                start--;
            }

            if (!IsQueryName(text.AsSpan(start, eq - start)))
            {
                eq = text.IndexOf('=', eq + 1);
                continue;
            }

            var value = eq + 1;
            var end = text.AsSpan(value).IndexOfAny("& \"\n\r#");
            end = end < 0 ? -1 : value + end;
            sb ??= new StringBuilder(text.Length);
            sb.Append(text, from, value - from).Append("[redacted]");
            from = end < 0 ? text.Length : end;
            eq = end < 0 ? -1 : text.IndexOf('=', end);
        }

        return sb is null ? text : sb.Append(text, from, text.Length - from).ToString();
    }

    /// <summary>True when <paramref name="name"/>, decoded as the query parser decodes it, is <see cref="QueryName"/>.</summary>
    private static bool IsQueryName(ReadOnlySpan<char> name)
    {
        // Every character escaped (%XX) is the longest spelling of the name.
        if (name.Length < QueryName.Length || name.Length > QueryName.Length * 3)
        {
            return false;
        }

        // Every log line passes here: only an escaped name costs an allocation.
        return name.Contains('%')
            ? Uri.UnescapeDataString(name.ToString()).Equals(QueryName, StringComparison.OrdinalIgnoreCase)
            : name.Equals(QueryName, StringComparison.OrdinalIgnoreCase);
    }

    private sealed record SigningKeys(Dictionary<Caller, byte[]> ByCaller, Dictionary<string, (byte[] Key, Caller Caller)[]> ById);
}
