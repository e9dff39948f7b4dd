using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Sluice.Server.Admission;

namespace Sluice.Server.Tests.Admission;

public sealed class ApiKeyAuthenticatorTests
{
    [Fact]
    public void TryAuthenticate_PlainAndHashedKeys_ResolveTheirIds()
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("s2")));
        var auth = new ApiKeyAuthenticator(Options.Create(new AuthOptions
        {
            Keys = [new ApiKeyOptions { Id = "a", Key = "s1" }, new ApiKeyOptions { Id = "b", Sha256 = hash, RequestsPerSecond = 5 }],
        }));
        Assert.True(auth.Enabled);
        Assert.True(auth.TryAuthenticate("s1", out var a));
        Assert.Equal("a", a.Id);
        Assert.True(auth.TryAuthenticate("s2", out var b));
        Assert.Equal("b", b.Id);
        Assert.Equal(5, b.RequestsPerSecond);
        Assert.False(auth.TryAuthenticate("s3", out _));
        Assert.False(auth.TryAuthenticate("", out _));
    }

    [Fact]
    public void Constructor_KeyWithoutSecret_Throws() =>
        Assert.Throws<InvalidOperationException>(() => new ApiKeyAuthenticator(Options.Create(new AuthOptions { Keys = [new ApiKeyOptions { Id = "x" }] })));
}
