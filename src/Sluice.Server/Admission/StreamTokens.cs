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
/// key id and the expiry; the mac is an HMAC-SHA256 under a signing key derived from the key's SHA-256 (and
/// <see cref="AuthOptions.StreamTokenSecret"/> when set). Every gateway holds the same keys, so any of them verifies any
/// token with no shared state; removing or rotating the key ends its tokens.
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

    private readonly Dictionary<Caller, byte[]> _signingKeys = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, (byte[] Key, Caller Caller)[]> _byId = new(StringComparer.Ordinal);
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;

    public StreamTokens(ApiKeyAuthenticator auth, IOptions<AuthOptions> options, TimeProvider time)
    {
        _time = time;
        _lifetime = TimeSpan.FromSeconds(options.Value.StreamTokenSeconds);
        var secret = Encoding.UTF8.GetBytes(options.Value.StreamTokenSecret ?? "");
        var byId = new Dictionary<string, List<(byte[] Key, Caller Caller)>>(StringComparer.Ordinal);
        foreach (var (hash, caller) in auth.Entries)
        {
            var key = HMACSHA256.HashData(secret, (byte[])[.. Label, .. hash]);
            _signingKeys[caller] = key;
            if (!byId.TryGetValue(caller.Id, out var list))
            {
                byId[caller.Id] = list = [];
            }

            list.Add((key, caller));
        }

        foreach (var (id, list) in byId)
        {
            _byId[id] = [.. list];
        }
    }

    /// <summary>True when keys are configured: without them the streams need no token and none is issued.</summary>
    public bool Enabled => _signingKeys.Count > 0;

    /// <summary>A token for <paramref name="jobId"/>'s streams, for the key <paramref name="caller"/> authenticated with; null when it has none.</summary>
    public string? Issue(string jobId, Caller caller, out DateTimeOffset expiresAt)
    {
        expiresAt = default;
        if (!_signingKeys.TryGetValue(caller, out var key))
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
        if (token.Length > MaxLength || !token.StartsWith(Prefix, StringComparison.Ordinal))
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
        if (parts.Length != 3 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || !_byId.TryGetValue(parts[2], out var keys))
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

    /// <summary><paramref name="text"/> with the value of every <c>stream_token=</c> in it replaced, for logs.</summary>
    public static string Redact(string text)
    {
        const string Marker = QueryName + "=";
        var at = text.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        var from = 0;
        while (at >= 0)
        {
            at += Marker.Length;
            sb.Append(text, from, at - from).Append("[redacted]");
            var end = text.IndexOfAny(['&', ' ', '"', '\n', '\r', '#'], at);
            from = end < 0 ? text.Length : end;
            at = text.IndexOf(Marker, from, StringComparison.Ordinal);
        }

        return sb.Append(text, from, text.Length - from).ToString();
    }
}
