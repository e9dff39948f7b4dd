using Microsoft.Extensions.DependencyInjection;
using Sluice.Blog.Security;
using Sluice.Blog.Tests.Infrastructure;

using Sluice.Testing;

namespace Sluice.Blog.Tests.Security;

public sealed class UnknownUserHashTests
{
    [Fact]
    public void New_Value_FullStrengthHashNoPasswordMatches()
    {
        var hash = new UnknownUserHash();

        // At the current iteration count, so checking it costs what checking a real user's password costs.
        Assert.StartsWith($"pbkdf2-sha512${PasswordHasher.Iterations}$", hash.Value, StringComparison.Ordinal);
        Assert.False(PasswordHasher.Verify("correct horse battery", hash.Value));
        Assert.NotEqual(hash.Value, new UnknownUserHash().Value);
    }

    [Fact]
    public async Task Build_BeforeAnyRequest_OneHashReadyForEverySignIn()
    {
        using var folder = new TempFolder();
        await using var app = BlogServer.Build(folder, Sluices.Nowhere());

        var first = app.Services.GetRequiredService<UnknownUserHash>();
        var second = app.Services.GetRequiredService<UnknownUserHash>();

        Assert.Same(first, second);
        Assert.StartsWith("pbkdf2-sha512$", first.Value, StringComparison.Ordinal);
    }
}
