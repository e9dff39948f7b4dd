using Sluice.Bench.Targets;

namespace Sluice.Bench.Tests.Targets;

public sealed class HostGuardTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5000/")]
    [InlineData("http://127.3.4.5/")]
    [InlineData("http://localhost:8080/x")]
    [InlineData("http://[::1]:5000/")]
    public void EnsureAllowed_Loopback_Passes(string url)
    {
        HostGuard.EnsureAllowed(new Uri(url), []);
    }

    [Theory]
    [InlineData("http://example.com/")]
    [InlineData("http://10.0.0.1/")]
    [InlineData("http://128.0.0.1/")]
    public void EnsureAllowed_RemoteWithoutAllowHost_Throws(string url)
    {
        Assert.Throws<BenchConfigurationException>(() => HostGuard.EnsureAllowed(new Uri(url), []));
    }

    [Fact]
    public void EnsureAllowed_RemoteExplicitlyAllowed_Passes()
    {
        HostGuard.EnsureAllowed(new Uri("http://bench-box.internal:5000/"), ["bench-box.internal"]);
    }

    [Fact]
    public void Create_RemoteTarget_Refused()
    {
        var spec = new TargetSpec { Kind = TargetKind.Http, Url = new Uri("http://example.com/") };
        Assert.Throws<BenchConfigurationException>(() => TargetFactory.Create(spec, TimeSpan.FromSeconds(1)));
    }
}
