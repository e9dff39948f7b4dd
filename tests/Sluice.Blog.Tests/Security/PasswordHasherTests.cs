using Sluice.Blog.Security;

namespace Sluice.Blog.Tests.Security;

public sealed class PasswordHasherTests
{
    [Fact]
    public void Hash_SamePasswordTwice_DifferentSaltsBothVerify()
    {
        var a = PasswordHasher.Hash("correct horse");
        var b = PasswordHasher.Hash("correct horse");

        Assert.NotEqual(a, b);
        Assert.StartsWith($"pbkdf2-sha512${PasswordHasher.Iterations}$", a, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify("correct horse", a));
        Assert.True(PasswordHasher.Verify("correct horse", b));
    }

    [Fact]
    public void Verify_WrongPasswordOrGarbledHash_False()
    {
        var hash = PasswordHasher.Hash("correct horse");

        Assert.False(PasswordHasher.Verify("correct horsE", hash));
        Assert.False(PasswordHasher.Verify("correct horse", "pbkdf2-sha512$x$y$z"));
        Assert.False(PasswordHasher.Verify("correct horse", "plain"));
        Assert.True(PasswordHasher.Iterations >= 100_000);
    }
}
