using Microsoft.Extensions.Options;
using Sluice.Server.Admission;
using Sluice.Testing;

namespace Sluice.Server.Tests.Admission;

/// <summary>
/// Stream tokens across gateways: any instance with the same keys and the same secret (configured, or the one the
/// shared store keeps) verifies another's.
/// </summary>
public sealed class StreamTokensTests
{
    private const string JobId = "job_01m83mca3t1b80kstmv3hbv6t2";

    /// <summary>The secret the gateways' shared store holds, in the tests that configure none.</summary>
    private static readonly byte[] Stored = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void Check_TokenIssuedByAnotherGatewayWithTheSameKeys_Valid()
    {
        var clock = new ManualTimeProvider();
        var (issuer, issuerAlice) = Create(clock, "alice-secret", secret: null);
        var (other, _) = Create(clock, "alice-secret", secret: null);

        var token = issuer.Issue(JobId, issuerAlice, out _)!;

        Assert.Equal(StreamTokenCheck.Valid, other.Check(token, JobId, out var caller));
        Assert.Equal("alice", caller!.Id);
    }

    [Fact]
    public void Check_SameSecretOnEveryGateway_ValidAndADifferentOneRefuses()
    {
        var clock = new ManualTimeProvider();
        var secret = new string('s', 40);
        var (issuer, issuerAlice) = Create(clock, "alice-secret", secret);
        var token = issuer.Issue(JobId, issuerAlice, out _)!;

        Assert.Equal(StreamTokenCheck.Valid, Create(clock, "alice-secret", secret).Tokens.Check(token, JobId, out _));
        Assert.Equal(StreamTokenCheck.Invalid, Create(clock, "alice-secret", new string('t', 40)).Tokens.Check(token, JobId, out _));
        Assert.Equal(StreamTokenCheck.Invalid, Create(clock, "alice-secret", secret: null).Tokens.Check(token, JobId, out _));
    }

    [Fact]
    public void Check_KeyRotated_OldTokensInvalid()
    {
        var clock = new ManualTimeProvider();
        var (before, beforeAlice) = Create(clock, "alice-secret", secret: null);
        var token = before.Issue(JobId, beforeAlice, out _)!;

        Assert.Equal(StreamTokenCheck.Invalid, Create(clock, "alice-new-secret", secret: null).Tokens.Check(token, JobId, out _));
    }

    [Fact]
    public void Check_AtItsExpiry_Expired()
    {
        var clock = new ManualTimeProvider();
        var (tokens, tokensAlice) = Create(clock, "alice-secret", secret: null);
        var token = tokens.Issue(JobId, tokensAlice, out var expiresAt)!;

        clock.Advance(TimeSpan.FromSeconds(299));
        Assert.Equal(StreamTokenCheck.Valid, tokens.Check(token, JobId, out _));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(StreamTokenCheck.Expired, tokens.Check(token, JobId, out var caller));
        Assert.Null(caller);
        Assert.Equal(clock.GetUtcNow(), expiresAt);
    }

    [Fact]
    public void Check_PayloadChanged_Invalid()
    {
        var clock = new ManualTimeProvider();
        var (tokens, tokensAlice) = Create(clock, "alice-secret", secret: null);
        var token = tokens.Issue(JobId, tokensAlice, out _)!;
        var parts = token.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1])).Replace(JobId, "job_01m83mca3t1b80kstmv3hbv6t3", StringComparison.Ordinal);
        var forged = $"{parts[0]}.{System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(payload))}.{parts[2]}";

        Assert.Equal(StreamTokenCheck.Invalid, tokens.Check(forged, "job_01m83mca3t1b80kstmv3hbv6t3", out _));
    }

    [Fact]
    public void Issue_NoSecretConfiguredAndNoneStoredYet_NoTokenIssuedOrAccepted()
    {
        var clock = new ManualTimeProvider();
        var (ready, readyAlice) = Create(clock, "alice-secret", secret: null);
        var token = ready.Issue(JobId, readyAlice, out _)!;
        var options = Options.Create(new AuthOptions { Keys = [new ApiKeyOptions { Id = "alice", Key = "alice-secret" }] });
        var auth = new ApiKeyAuthenticator(options);
        Assert.True(auth.TryAuthenticate("alice-secret", out var alice));

        var starting = new StreamTokens(auth, options, clock);

        Assert.True(starting.Enabled);
        Assert.Null(starting.Issue(JobId, alice, out _));
        Assert.Equal(StreamTokenCheck.Invalid, starting.Check(token, JobId, out _));
    }

    [Fact]
    public void Check_AnotherStoredSecret_Invalid()
    {
        var clock = new ManualTimeProvider();
        var (issuer, issuerAlice) = Create(clock, "alice-secret", secret: null);
        var token = issuer.Issue(JobId, issuerAlice, out _)!;

        Assert.Equal(StreamTokenCheck.Invalid, Create(clock, "alice-secret", secret: null, stored: new byte[32]).Tokens.Check(token, JobId, out _));
    }

    [Fact]
    public void Redact_TokenInAUrl_ValueReplacedRestKept()
    {
        Assert.Equal("GET http://h/v1/jobs/j/events?a=1&stream_token=[redacted]&b=2 - -",
            StreamTokens.Redact("GET http://h/v1/jobs/j/events?a=1&stream_token=st1.abc.def&b=2 - -"));
    }

    /// <summary>
    /// A gateway's tokens for one key, and the caller that key authenticates as; without a configured secret, signing
    /// with <paramref name="stored"/> (default: the one secret of these tests' store).
    /// </summary>
    private static (StreamTokens Tokens, Caller Alice) Create(TimeProvider clock, string key, string? secret, byte[]? stored = null)
    {
        var options = Options.Create(new AuthOptions
        {
            Keys = [new ApiKeyOptions { Id = "alice", Key = key }],
            StreamTokenSecret = secret,
        });
        var auth = new ApiKeyAuthenticator(options);
        Assert.True(auth.TryAuthenticate(key, out var alice));
        var tokens = new StreamTokens(auth, options, clock);
        if (secret is null)
        {
            tokens.UseStoredSecret(stored ?? Stored);
        }

        return (tokens, alice);
    }
}
